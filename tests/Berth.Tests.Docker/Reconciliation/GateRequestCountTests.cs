using Berth.Reconciler.Engine;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Issue #16: the health gate learns from the engine's events, so the inspects of a change-one pass
/// are a small constant, not one per poll interval until the new container turns healthy (58-61 of a
/// change-one pass's 72 requests were the gate polling). Counted at the HTTP level, as
/// <see cref="ObserveRequestCountTests"/> does; counts, not times.
/// </summary>
public sealed class GateRequestCountTests
{
    /// <summary>
    /// The gate's inspects: at its start and at the end of its monitor window; the replacement adds a
    /// few of its own (the old container's anonymous volumes, the rename). Polling every 250 ms for the
    /// ~3 s to healthy plus the monitor window alone made about 14.
    /// </summary>
    private const int MaxInspects = 6;

    [Fact]
    public async Task ChangeOneApply_ServiceHealthyAfterThreeSeconds_InspectsASmallConstantNumberOfTimes()
    {
        await using var harness = new ReconcileHarness();
        // Healthy only ~3 s after it starts, probed every second: polling would inspect ~12 times meanwhile.
        var slowToReady = Container(Image, "sh", "-c", "(sleep 3 && touch /tmp/ready) & exec sleep 3600") with
        {
            HealthCheck = new HealthCheckSpec(["CMD-SHELL", "test -f /tmp/ready"], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero, 10),
        };
        var service = Service(harness.StackName, "slow", slowToReady) with { Update = FastUpdate };
        await harness.ApplyConvergedAsync(Desired(harness.Host, Stack(harness.StackName, [service])));

        await using var forwarder = new EngineSocketForwarder();
        forwarder.Start();
        using var client = DockerClientFactory.Create(forwarder.DockerHost);
        using var events = DockerEngineEvents.Connect(forwarder.DockerHost);
        var reconciler = new HostReconciler(new DockerContainerEngine(client), harness.StateStore, TimeProvider.System, events: events);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var changed = Desired(harness.Host, Stack(harness.StackName, [service.WithEnvironment("VERSION", "2")]));
        var applied = await reconciler.ApplyAsync(changed, DesiredStateRevision.Compute(changed), new ApplyOptions(), _ => { }, timeout.Token);

        Assert.True(applied.Outcome == ApplyOutcome.Applied, $"{applied.Outcome}: {applied.Summary}");
        var requests = forwarder.Requests.ToList();
        var inspects = requests.Where(request => request.StartsWith("GET /containers/", StringComparison.Ordinal)
            && request.EndsWith("/json", StringComparison.Ordinal) && request != "GET /containers/json").ToList();
        var description = $"{requests.Count} requests: {string.Join(", ", requests)}";
        Assert.True(inspects.Count <= MaxInspects, $"{inspects.Count} inspects; {description}");
        Assert.True(requests.Count(request => request == "GET /events") == 1, $"one event subscription for the pass; {description}");
    }
}
