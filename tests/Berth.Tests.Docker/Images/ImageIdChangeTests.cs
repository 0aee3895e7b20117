using Berth.Reconciler.Images;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

/// <summary>
/// The image that runs decides a replacement, not only the reference in the spec: when the local tag
/// is moved to another image (someone pulled, or a pull found the tag moved), the next pass replaces
/// the containers through the normal health-gated rollout, with both image ids in the cause.
/// </summary>
public sealed class ImageIdChangeTests
{
    [Fact]
    public async Task Apply_LocalTagMovedToAnotherImage_ReplacesHealthGated_AndStatusShowsTheNewId()
    {
        await using var harness = new ReconcileHarness();
        await using var images = new ScopedImages(harness.Scope);
        var tag = $"berth-test/moving-{harness.Scope.ScopeId}";
        await harness.Client.Images.TagImageAsync(TestImages.BusyboxV1, new ImageTagParameters { RepositoryName = tag, Tag = "stable" });
        var oldId = (await harness.Client.Images.InspectImageAsync(TestImages.BusyboxV1)).ID;
        var newId = (await harness.Client.Images.InspectImageAsync(TestImages.BusyboxV2)).ID;
        try
        {
            var network = Network(harness.StackName, "net");
            var web = Service(harness.StackName, "web", WebContainer($"{tag}:stable"), replicas: 2).OnNetwork(network);
            var desired = Desired(harness.Host, Stack(harness.StackName, [web], [network]));
            await harness.ApplyConvergedAsync(desired);
            Assert.False((await harness.PlanAsync(desired)).HasChanges);

            // Someone moves the tag: the spec is unchanged, the image under it is not.
            await harness.Client.Images.TagImageAsync(TestImages.BusyboxV2, new ImageTagParameters { RepositoryName = tag, Tag = "stable" });

            var plan = await harness.PlanAsync(desired);
            var cause = $"image changed: {ImageReference.ShortId(oldId)} \u2192 {ImageReference.ShortId(newId)}";
            Assert.Equal(2, plan.Steps.OfType<ReplaceContainerStep>().Count(step => step.Cause == cause));

            var result = await harness.ApplyConvergedAsync(desired);

            Assert.Equal(ApplyOutcome.Applied, result.Outcome);
            // Through the service's rollout (its health gates), not a bare re-create.
            var rollout = Assert.Single(result.Report!.Services);
            Assert.Equal(Berth.Reconciler.Execution.RolloutResult.Succeeded, rollout.Result);
            foreach (var replica in new[] { 1, 2 })
            {
                var container = await harness.InspectAsync($"{harness.StackName}-web-{replica}");
                Assert.Equal(newId, container.Image);
                Assert.Equal("healthy", container.State.Health.Status);
                Assert.Equal("2", (await harness.ExecAsync(container.Name.TrimStart('/'), "cat", "/www/version")).Trim());
            }

            var running = RunningImage.Of(web, result.Observed!);
            Assert.Equal(newId, running.ImageId);
            Assert.False((await harness.PlanAsync(desired)).HasChanges);
        }
        finally
        {
            await images.UntagAsync($"{tag}:stable");
        }
    }
}
