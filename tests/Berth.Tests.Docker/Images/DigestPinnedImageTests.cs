using Berth.Reconciler.Images;
using Berth.Reconciler.Planning;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

/// <summary>
/// A digest-pinned image end to end against a real registry: parsed, pulled by its digest, created,
/// compared (a second pass has nothing to do), and its digest shown as the running one.
/// </summary>
public sealed class DigestPinnedImageTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Apply_DigestPinnedReference_PullsRunsAndThenHasNoChanges(bool withTag)
    {
        await using var harness = new ReconcileHarness();
        await using var images = new ScopedImages(harness.Scope);
        await using var registry = await LoopbackRegistry.StartAsync();
        var local = $"berth-test/pinned-{harness.Scope.ScopeId}:1";
        var imageId = await images.BuildAsync(local, "1");
        var digest = await registry.PushAsync(local, "berth/app", "1");
        await images.UntagAsync(local);
        await images.UntagAsync(registry.Reference("berth/app", "1"));
        // The tag moves on afterwards: a digest-pinned service must not follow it.
        await registry.MoveTagAsync(TestImages.BusyboxV2, "berth/app", "1");
        await images.UntagAsync(registry.Reference("berth/app", "1"));

        var reference = withTag ? $"{registry.Reference("berth/app", "1")}@{digest}" : $"{registry.Address}/berth/app@{digest}";
        var network = Network(harness.StackName, "net");
        var app = Service(harness.StackName, "app", Container(reference)).OnNetwork(network);
        var desired = Desired(harness.Host, Stack(harness.StackName, [app], [network]));

        var result = await harness.ApplyConvergedAsync(desired);

        Assert.Contains(result.Plan.Steps, step => step is PullImageStep pull && pull.Image == reference);
        Assert.Equal(imageId, (await harness.InspectAsync($"{harness.StackName}-app-1")).Image);
        Assert.Equal(new RunningImage(reference, imageId, digest), RunningImage.Of(app, result.Observed!));
        var again = await harness.PlanAsync(desired);
        Assert.False(again.HasChanges, again.ToString());
    }
}
