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

        // As an operator runs it: `berth gc --dry-run`, then `berth gc`.
        string[] common = ["--state-dir", harness.StateStore.StateDirectory, "--host", harness.Host];
        var dryRun = await Berth.Tests.Shared.CliRunner.RunAsync(["gc", "--dry-run", .. common]);
        Assert.True(dryRun.ExitCode == 0, dryRun.Stdout + dryRun.Stderr);
        Assert.Contains($"remove image {ImageReference.ShortId(versions["1"])} ({registry.Reference("berth/app", "1")}): pulled by berth for {harness.StackName}/app and no longer used", dryRun.Stdout, StringComparison.Ordinal);
        Assert.Contains($"keep image {ImageReference.ShortId(versions["2"])} ({registry.Reference("berth/app", "2")}): the previous version of {harness.StackName}/app (its rollback target)", dryRun.Stdout, StringComparison.Ordinal);
        Assert.Contains($"keep image {ImageReference.ShortId(versions["3"])} ({registry.Reference("berth/app", "3")}): in use by a container", dryRun.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(ImageReference.ShortId(foreign), dryRun.Stdout, StringComparison.Ordinal);
        Assert.True(await images.ExistsAsync(versions["1"]), "a dry run removes nothing");

        var collected = await Berth.Tests.Shared.CliRunner.RunAsync(["gc", .. common]);

        Assert.True(collected.ExitCode == 0, collected.Stdout + collected.Stderr);
        Assert.Contains($"removed {ImageReference.ShortId(versions["1"])} ({registry.Reference("berth/app", "1")})", collected.Stdout, StringComparison.Ordinal);
        Assert.False(await images.ExistsAsync(versions["1"]));
        Assert.True(await images.ExistsAsync(versions["2"]), "the previous version stays: a rollback needs no pull");
        Assert.True(await images.ExistsAsync(versions["3"]), "the running version stays");
        Assert.True(await images.ExistsAsync(foreign), "an image berth did not pull is never removed");
        // Both sides sorted: the ids are content hashes, in no particular order of their versions.
        Assert.Equal(new[] { versions["2"], versions["3"] }.Order(StringComparer.Ordinal), (await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None)).PulledImages.Select(image => image.Id).Order(StringComparer.Ordinal));

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
