using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Compose profiles against the real engine: what a stack's active profiles leave out is never created,
/// and switching a profile on or off creates or removes only that service's containers.
/// </summary>
public sealed class ProfilesTests
{
    private const string Compose = """
        services:
          web:
            image: berth-test/busybox:1
            command: ["sleep", "3600"]
            init: true
          debug:
            image: berth-test/busybox:1
            command: ["sleep", "3600"]
            init: true
            profiles: [debug]
        """;

    private static DesiredState Load(TestRepository repository, ReconcileHarness harness, string hostVars = "{}", string stackExtra = "")
    {
        var stack = harness.StackName;
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{ vars: {hostVars} }}\nstacks:\n  {stack}:\n    compose: stacks/{stack}/compose.yaml\n    hosts: [{harness.Host}]\n{stackExtra}");
        repository.Write($"stacks/{stack}/compose.yaml", $"name: {stack}\n" + Compose);
        var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host);
        Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        return loaded.State!;
    }

    [Fact]
    public async Task Apply_ProfileSwitchedOnThenOff_CreatesThenRemovesOnlyItsService()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;

        // No profile active: the service with profiles is not created (Compose's default).
        await harness.ApplyConvergedAsync(Load(repository, harness));
        Assert.Equal([$"{stack}-web-1"], await harness.ManagedContainerNamesAsync());
        var webId = (await harness.InspectAsync($"{stack}-web-1")).ID;

        // A host var COMPOSE_PROFILES switches it on for this host; web is left alone.
        await harness.ApplyConvergedAsync(Load(repository, harness, hostVars: "{ COMPOSE_PROFILES: debug }"));
        Assert.Equal([$"{stack}-debug-1", $"{stack}-web-1"], await harness.ManagedContainerNamesAsync());
        Assert.True((await harness.InspectAsync($"{stack}-debug-1")).State.Running);
        Assert.Equal(webId, (await harness.InspectAsync($"{stack}-web-1")).ID);

        // berth.yaml's `profiles: []` wins over the variable: the service's container is removed.
        await harness.ApplyConvergedAsync(Load(repository, harness, hostVars: "{ COMPOSE_PROFILES: debug }", stackExtra: "    profiles: []\n"));
        Assert.Equal([$"{stack}-web-1"], await harness.ManagedContainerNamesAsync());
        Assert.Equal(webId, (await harness.InspectAsync($"{stack}-web-1")).ID);
    }
}
