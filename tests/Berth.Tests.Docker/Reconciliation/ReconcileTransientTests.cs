using Berth.Reconciler.Engine;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// An engine that stops answering mid-pass, or a container removed by someone else while the pass works
/// on it, is "try again", never "this revision is bad" nor "a person must act".
/// </summary>
public sealed class ReconcileTransientTests
{
    [Fact]
    public async Task Apply_EngineConnectionCutDuringACreate_EndsTransientWithoutHoldingTheRevisionAndTheNextPassConverges()
    {
        await using var harness = new ReconcileHarness();
        await using var forwarder = new EngineSocketForwarder();
        forwarder.Start();
        using var client = DockerClientFactory.Create(forwarder.DockerHost);
        var reconciler = new HostReconciler(new DockerContainerEngine(client), harness.StateStore, TimeProvider.System);
        var stack = harness.StackName;
        var desired = Desired(harness.Host, Stack(stack, [Service(stack, "web", WebContainer()) with { Update = FastUpdate }]));
        var revision = DesiredStateRevision.Compute(desired);

        // The engine goes away right before the create and is back once the service's failure is
        // reported: a hiccup in the middle of the pass, exactly where a rollout would start.
        void CutAroundTheCreate(ProgressEvent progress)
        {
            if (progress.Message.StartsWith("create container", StringComparison.Ordinal))
            {
                forwarder.Stop();
            }
            else if (progress.Message.StartsWith("failed:", StringComparison.Ordinal))
            {
                forwarder.Start();
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await reconciler.ApplyAsync(desired, revision, new ApplyOptions(), CutAroundTheCreate, timeout.Token);

        Assert.Equal(ApplyOutcome.TransientFailure, result.Outcome);
        Assert.Contains("engine unavailable", result.Summary, StringComparison.Ordinal);
        var state = await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None);
        Assert.Empty(state.FailedRevisions);
        Assert.Null(state.LastAppliedRevision);

        var next = await reconciler.ApplyAsync(desired, revision, new ApplyOptions(), _ => { }, timeout.Token);
        Assert.Equal(ApplyOutcome.Applied, next.Outcome);
        Assert.Equal("healthy", (await harness.InspectAsync($"{stack}-web-1")).State.Health.Status);
    }

    [Fact]
    public async Task Apply_ContainerRemovedBetweenObserveAndItsStart_EndsTransientAndTheNextPassRecreatesIt()
    {
        await using var harness = new ReconcileHarness();
        var stack = harness.StackName;
        var desired = Desired(harness.Host, Stack(stack, [Service(stack, "web", WebContainer()) with { Update = FastUpdate }]));
        await harness.ApplyConvergedAsync(desired);
        var name = $"{stack}-web-1";
        var removedId = (await harness.InspectAsync(name)).ID;
        await harness.Client.Containers.StopContainerAsync(removedId, new Docker.DotNet.Models.ContainerStopParameters { WaitBeforeKillSeconds = 1 });

        // The pass observed the stopped container and plans to start it; right before the start, someone
        // removes it (docker rm): the engine answers 404 "No such container" to the start.
        void RemoveBeforeTheStart(ProgressEvent progress)
        {
            if (progress.Message.StartsWith($"start container {name}", StringComparison.Ordinal))
            {
                harness.Client.Containers.RemoveContainerAsync(removedId, new Docker.DotNet.Models.ContainerRemoveParameters { Force = true }).GetAwaiter().GetResult();
            }
        }

        var revision = DesiredStateRevision.Compute(desired);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await harness.Reconciler.ApplyAsync(desired, revision, new ApplyOptions(), RemoveBeforeTheStart, timeout.Token);

        Assert.Equal(ApplyOutcome.TransientFailure, result.Outcome);
        Assert.Contains("changed during the pass", result.Summary, StringComparison.Ordinal);
        Assert.Empty((await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None)).FailedRevisions);

        var next = await harness.Reconciler.ApplyAsync(desired, revision, new ApplyOptions(), _ => { }, timeout.Token);
        Assert.Equal(ApplyOutcome.Applied, next.Outcome);
        var recreated = await harness.InspectAsync(name);
        Assert.NotEqual(removedId, recreated.ID);
        Assert.True(recreated.State.Running);
    }
}
