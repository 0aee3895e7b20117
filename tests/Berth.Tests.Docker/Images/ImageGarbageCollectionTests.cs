using Berth.Reconciler.Images;
using Berth.Reconciler.Reconciliation;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

/// <summary>
/// Image garbage collection against a real registry (Debian's docker-registry on loopback) and the real
/// engine: berth pulls three versions in turn; collection removes the oldest, keeps the one that runs
/// and the previous one (a rollback needs no pull), and never touches an image berth did not pull.
/// </summary>
public sealed class ImageGarbageCollectionTests
{
    /// <summary>The service alone in its stack, on a network of its own (not the engine's default bridge).</summary>
    private static Berth.Reconciler.Spec.Model.DesiredState OnItsNetwork(ReconcileHarness harness, Berth.Reconciler.Spec.Model.ServiceSpec service)
    {
        var network = Network(harness.StackName, "net");
        return Desired(harness.Host, Stack(harness.StackName, [service.OnNetwork(network)], [network]));
    }

    [Fact]
    public async Task Collect_ThreeVersionsPulled_RemovesTheOldest_KeepsPreviousAndRunning_NeverForeign()
    {
        await using var harness = new ReconcileHarness();
        await using var images = new ScopedImages(harness.Scope);
        await using var registry = await LoopbackRegistry.StartAsync();

        // Three versions in the registry only: berth has to pull each one.
        var versions = new Dictionary<string, string>();
        foreach (var version in new[] { "1", "2", "3" })
        {
            var local = $"berth-test/gc-{harness.Scope.ScopeId}:{version}";
            versions[version] = await images.BuildAsync(local, version);
            await registry.PushAsync(local, "berth/app", version);
            await images.UntagAsync(local);
            await images.UntagAsync(registry.Reference("berth/app", version));
            Assert.False(await images.ExistsAsync(versions[version]));
        }

        // An image berth did not pull, used by nothing: never berth's to remove.
        var foreign = await images.BuildAsync($"berth-test/gc-foreign-{harness.Scope.ScopeId}:1", "foreign");

        foreach (var version in new[] { "1", "2", "3" })
        {
            var service = Service(harness.StackName, "app", Container(registry.Reference("berth/app", version)));
            var result = await harness.ApplyConvergedAsync(OnItsNetwork(harness, service));
            Assert.Contains(result.Plan.Steps, step => step is Berth.Reconciler.Planning.PullImageStep);
        }

        var collector = new ImageGarbageCollector(harness.Engine, harness.StateStore);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var dryRun = await collector.CollectAsync(harness.Host, dryRun: true, timeout.Token);
        Assert.Equal(versions["1"], Assert.Single(dryRun.Plan.Remove).Image.Id);
        Assert.True(await images.ExistsAsync(versions["1"]), "a dry run removes nothing");

        var collected = await collector.CollectAsync(harness.Host, dryRun: false, timeout.Token);

        Assert.Empty(collected.Failed);
        Assert.Equal(versions["1"], Assert.Single(collected.Removed).Id);
        Assert.False(await images.ExistsAsync(versions["1"]));
        Assert.True(await images.ExistsAsync(versions["2"]), "the previous version stays: a rollback needs no pull");
        Assert.True(await images.ExistsAsync(versions["3"]), "the running version stays");
        Assert.True(await images.ExistsAsync(foreign), "an image berth did not pull is never removed");
        Assert.Contains(collected.Plan.Keep, kept => kept.Image.Id == versions["2"] && kept.Reason.Contains("previous version", StringComparison.Ordinal));

        // Going back to version 2 needs no pull.
        var back = Service(harness.StackName, "app", Container(registry.Reference("berth/app", "2")));
        var rolledBack = await harness.ApplyConvergedAsync(OnItsNetwork(harness, back));
        Assert.DoesNotContain(rolledBack.Plan.Steps, step => step is Berth.Reconciler.Planning.PullImageStep);
    }

    [Fact]
    public async Task Collect_ImageInUseByAContainerBerthDidNotCreate_KeptAndNeverForced()
    {
        await using var harness = new ReconcileHarness();
        await using var images = new ScopedImages(harness.Scope);
        await using var registry = await LoopbackRegistry.StartAsync();
        var local = $"berth-test/gc-{harness.Scope.ScopeId}:1";
        var imageId = await images.BuildAsync(local, "1");
        await registry.PushAsync(local, "berth/app", "1");
        await images.UntagAsync(local);
        await images.UntagAsync(registry.Reference("berth/app", "1"));

        var service = Service(harness.StackName, "app", Container(registry.Reference("berth/app", "1")));
        await harness.ApplyConvergedAsync(OnItsNetwork(harness, service));

        // The service moves to another image, and someone starts their own container from the pulled one.
        var other = Service(harness.StackName, "app", Container(TestImages.BusyboxV1));
        await harness.ApplyConvergedAsync(OnItsNetwork(harness, other));
        var other2 = Service(harness.StackName, "app", Container(TestImages.BusyboxV2));
        await harness.ApplyConvergedAsync(OnItsNetwork(harness, other2));
        await harness.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"{harness.Scope.ScopeId}-foreign",
            Image = imageId,
            Cmd = ["sleep", "3600"],
            Labels = harness.Scope.Labels,
        });

        var collected = await new ImageGarbageCollector(harness.Engine, harness.StateStore).CollectAsync(harness.Host, dryRun: false, CancellationToken.None);

        Assert.Empty(collected.Removed);
        Assert.Equal("in use by a container", Assert.Single(collected.Plan.Keep, kept => kept.Image.Id == imageId).Reason);
        Assert.True(await images.ExistsAsync(imageId));
    }
}
