using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// `platform` against the real engine: the local test image is the host's platform (docker import
/// stamps the engine's), so asking for it runs; asking for linux/arm64 is refused with the reason and
/// leaves the running container alone.
/// </summary>
public sealed class PlatformTests
{
    private static DesiredState Load(TestRepository repository, ReconcileHarness harness, string platformLine, string version)
    {
        var stack = harness.StackName;
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{}}\nstacks:\n  {stack}:\n    compose: stacks/{stack}/compose.yaml\n    hosts: [{harness.Host}]\n");
        repository.Write($"stacks/{stack}/compose.yaml", $$"""
            name: {{stack}}
            services:
              web:
                image: berth-test/busybox:1
                command: ["sleep", "3600"]
                init: true
                environment: { VERSION: "{{version}}" }
            {{platformLine}}
            """);
        var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host);
        Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        return loaded.State!;
    }

    private static async Task<string> HostPlatformAsync(ReconcileHarness harness)
    {
        var image = await harness.Client.Images.InspectImageAsync("berth-test/busybox:1");
        return PlatformName.Of(image.Os, image.Architecture, image.Variant);
    }

    [Fact]
    public async Task Apply_PlatformOfTheLocalImage_Runs_AndAnotherPlatformIsRefusedWithoutTouchingIt()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        var hostPlatform = await HostPlatformAsync(harness);

        await harness.ApplyConvergedAsync(Load(repository, harness, $"    platform: {hostPlatform}", version: "1"));
        var running = await harness.InspectAsync($"{stack}-web-1");
        Assert.True(running.State.Running);
        Assert.Equal("linux", running.Platform);

        var other = hostPlatform == "linux/arm64" ? "linux/amd64" : "linux/arm64";
        var refused = Load(repository, harness, $"    platform: {other}", version: "2");
        var result = await harness.ApplyAsync(refused);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        Assert.Contains($"held back: platform is {other}, but the local image berth-test/busybox:1 is {hostPlatform}", result.Summary, StringComparison.Ordinal);
        var after = await harness.InspectAsync($"{stack}-web-1");
        Assert.Equal(running.ID, after.ID);
        Assert.True(after.State.Running);
    }
}
