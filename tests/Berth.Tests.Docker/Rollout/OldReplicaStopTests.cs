using System.Collections.Concurrent;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Planning;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Rollout;

/// <summary>
/// Issue #16, "a change goes out as soon as it is proven": once a start-first replacement took the old
/// container out of the names, its stop (up to its grace period) runs alongside the next replica's
/// replacement, and the pass still reports only when every old container is gone.
/// </summary>
public sealed class OldReplicaStopTests
{
    [Fact]
    public async Task StartFirstRollout_OldReplicasIgnoreSigterm_NextReplicaStartsBeforeTheFirstOldOneIsRemoved()
    {
        await using var harness = new ReconcileHarness();
        // busybox httpd as PID 1 (no init) ignores SIGTERM: every stop of it waits the whole grace period.
        var ignoresSigterm = Container(Image, "httpd", "-f", "-p", "8080") with { Init = false, StopGracePeriod = TimeSpan.FromSeconds(10) };
        // A network of its own: the test does not depend on the engine's default bridge.
        var network = Network(harness.StackName, "backend");
        var v1 = Service(harness.StackName, "web", ignoresSigterm, replicas: 2).OnNetwork(network) with { Update = FastUpdate };
        await harness.ApplyConvergedAsync(Desired(harness.Host, Stack(harness.StackName, [v1], [network])));
        var oldIds = await harness.ContainerIdsAsync();
        var v2 = v1.WithEnvironment("VERSION", "2");
        var firstName = ContainerNames.For(v2, 1);
        var secondReplacement = ContainerNames.ReplacementFor(ContainerNames.For(v2, 2), v2.ConfigHash);

        // The engine's own order of starts and removals, from a subscription of this test.
        using var watching = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var events = DockerEngineEvents.Connect(null);
        var seen = new ConcurrentQueue<EngineEvent>();
        var stream = Task.Run(async () =>
        {
            await foreach (var engineEvent in events.StreamAsync(EngineEventFilter.ManagedContainers(harness.Host, EngineEventActions.Start, EngineEventActions.Destroy), DateTimeOffset.UtcNow.AddSeconds(-1), watching.Token))
            {
                seen.Enqueue(engineEvent);
            }
        });

        await harness.ApplyConvergedAsync(Desired(harness.Host, Stack(harness.StackName, [v2], [network])));

        // The pass waited for the old containers: none is left when it reports.
        Assert.Equal([firstName, ContainerNames.For(v2, 2)], (await harness.ManagedContainerNamesAsync()).Order(StringComparer.Ordinal));
        await PollAsync(() => seen.Count(engineEvent => engineEvent.Action == EngineEventActions.Destroy && oldIds.ContainsValue(engineEvent.ActorId)) == 2, watching.Token);
        await watching.CancelAsync();
        await Task.WhenAny(stream);
        var order = seen.ToList();
        var secondStarted = order.FindIndex(engineEvent => engineEvent.Action == EngineEventActions.Start && engineEvent.Name == secondReplacement);
        var firstOldRemoved = order.FindIndex(engineEvent => engineEvent.Action == EngineEventActions.Destroy && engineEvent.ActorId == oldIds[firstName]);
        var description = string.Join(", ", order.Select(engineEvent => $"{engineEvent.Action} {engineEvent.Name}"));
        Assert.True(secondStarted >= 0 && firstOldRemoved >= 0, description);
        Assert.True(secondStarted < firstOldRemoved, $"the second replica's new container started only after the first old one was removed: {description}");
    }

    private static async Task PollAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
