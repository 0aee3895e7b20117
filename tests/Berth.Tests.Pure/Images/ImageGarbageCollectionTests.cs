using System.Collections.Immutable;
using Berth.Reconciler.Images;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Reconciliation;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

/// <summary>Which images garbage collection removes: only those berth pulled, never one in use, never a service's previous version.</summary>
public sealed class ImageGarbageCollectionTests : IDisposable
{
    private const string Host = "host-a";
    private static readonly DateTimeOffset At = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly string stateDirectory = Path.Combine(Path.GetTempPath(), "berth-pure-gc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(stateDirectory))
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private static PulledImage Pulled(string id, string reference, string service = "shop/web") => new(id, reference, [service], At);

    private static AppliedService AppliedWeb(string imageId, string? previous) =>
        new("hash", ImmutableSortedDictionary<string, string>.Empty, "app:3", imageId, "rev", ImmutableSortedDictionary<int, string>.Empty, null) { PreviousImageId = previous };

    private static ObservedState Host_(IEnumerable<string> present, IEnumerable<string> inUse) => ObservedState.Empty with
    {
        Images = [.. present.Select(id => new ObservedImage(id, [], []))],
        ImagesInUse = [.. inUse],
    };

    [Fact]
    public void Select_KeepsCurrentPreviousAndInUse_RemovesOlderPulls_NeverForeign_DropsGone()
    {
        var applied = AppliedState.Empty(Host) with
        {
            Services = ImmutableSortedDictionary<string, AppliedService>.Empty.Add("shop/web", AppliedWeb("sha256:v3", previous: "sha256:v2")),
            PulledImages =
            [
                Pulled("sha256:v1", "app:1"), Pulled("sha256:v2", "app:2"), Pulled("sha256:v3", "app:3"),
                Pulled("sha256:tool", "tool:1", "ops/tool"), Pulled("sha256:deleted", "app:0"),
            ],
        };
        // sha256:foreign was never pulled by berth; a container berth did not create runs sha256:tool.
        var observed = Host_(["sha256:v1", "sha256:v2", "sha256:v3", "sha256:tool", "sha256:foreign"], ["sha256:v3", "sha256:tool", "sha256:foreign"]);

        var plan = ImageGarbageCollection.Select(applied, observed);

        Assert.Equal("""
            remove image v1 (app:1): pulled by berth for shop/web and no longer used
            keep image tool (tool:1): in use by a container
            keep image v2 (app:2): the previous version of shop/web (its rollback target)
            keep image v3 (app:3): in use by a container

            """, plan.ToString().Replace("\r", "", StringComparison.Ordinal));
        Assert.Equal("sha256:deleted", Assert.Single(plan.Gone).Id);
        Assert.DoesNotContain(plan.Remove.Concat(plan.Keep), verdict => verdict.Image.Id == "sha256:foreign");
    }

    [Fact]
    public void Select_CurrentImageWithItsContainersStopped_Kept()
    {
        var applied = AppliedState.Empty(Host) with
        {
            Services = ImmutableSortedDictionary<string, AppliedService>.Empty.Add("shop/web", AppliedWeb("sha256:v3", previous: null)),
            PulledImages = [Pulled("sha256:v3", "app:3")],
        };

        var plan = ImageGarbageCollection.Select(applied, Host_(["sha256:v3"], []));

        Assert.Empty(plan.Remove);
        Assert.Equal("the image shop/web runs", Assert.Single(plan.Keep).Reason);
    }

    [Fact]
    public async Task Collect_ThreeVersionsPulledInTurn_RemovesTheOldestOnly_AndForgetsIt()
    {
        var engine = new FakeContainerEngine();
        var store = new StateStore(stateDirectory);
        var reconciler = new HostReconciler(engine, store, TimeProvider.System);
        foreach (var version in new[] { "1", "2", "3" })
        {
            engine.RegistryImages[$"registry.example/app:{version}"] = $"sha256:v{version}";
            var desired = Desired(Host, Stack("shop", [Service("shop", "web", Container($"registry.example/app:{version}")) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } }]));
            var result = await reconciler.ApplyAsync(desired, $"rev-{version}", new ApplyOptions(), _ => { }, CancellationToken.None);
            Assert.Equal(ApplyOutcome.Applied, result.Outcome);
        }

        var recorded = await store.LoadAsync(Host, CancellationToken.None);
        Assert.Equal(["sha256:v1", "sha256:v2", "sha256:v3"], recorded.PulledImages.Select(image => image.Id));
        Assert.Equal(("sha256:v3", "sha256:v2"), (recorded.Services["shop/web"].ImageId, recorded.Services["shop/web"].PreviousImageId));

        var collector = new ImageGarbageCollector(engine, store);
        var dryRun = await collector.CollectAsync(Host, dryRun: true, CancellationToken.None);
        Assert.Equal("sha256:v1", Assert.Single(dryRun.Plan.Remove).Image.Id);
        Assert.Empty(engine.RemovedImages);

        var collected = await collector.CollectAsync(Host, dryRun: false, CancellationToken.None);

        Assert.Equal(["sha256:v1"], engine.RemovedImages);
        Assert.Equal("sha256:v1", Assert.Single(collected.Removed).Id);
        Assert.Equal(["sha256:v2", "sha256:v3"], (await store.LoadAsync(Host, CancellationToken.None)).PulledImages.Select(image => image.Id));
    }
}
