using System.Net;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Health;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Reconciliation;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Health;

/// <summary>
/// The gate decides from the engine's events (issue #16): it inspects at its start, when an event says
/// the container may have failed, and at the end of its monitor window, not every poll interval. The
/// health check here probes every 10 s, so a gate that ignored an event would wait far past the test's
/// cancellation (10 s) for its deadline: reaching a verdict at all shows it reacted.
/// </summary>
public sealed class HealthGateEventTests
{
    private const string Host = "host-a";
    private static readonly TimeSpan ShortMonitor = TimeSpan.FromMilliseconds(200);

    private static readonly ServiceSpec SlowProbe = Service("shop", "web", Container() with
    {
        HealthCheck = new HealthCheckSpec(["CMD", "true"], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero, 3),
    });

    [Fact]
    public async Task WaitAsync_HealthyEvent_PassesAfterMonitorWithTwoInspects()
    {
        var (engine, events, id) = await StartedContainerAsync(ContainerHealth.Starting);
        await using var hub = ContainerEventHub.Start(events, Host, TimeProvider.System);
        // Its own start reaches the stream just before the gate begins, as with the engine.
        events.Send(id, EngineEventActions.Start);
        var inspectsBefore = engine.InspectCalls;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var waiting = new HealthGate(engine, TimeProvider.System, hub).WaitAsync(id, SlowProbe, ShortMonitor, timeout.Token);
        engine.SetHealth("shop-web-1", ContainerHealth.Healthy);
        events.Send(id, EngineEventActions.HealthStatus, ContainerHealth.Healthy);

        Assert.Null(await waiting);
        // One at the start, one at the end of the monitor window; none for its start or the "healthy" event.
        Assert.Equal(2, engine.InspectCalls - inspectsBefore);
    }

    [Fact]
    public async Task WaitAsync_TimerFiresBeforeTheClockReachesTheLook_InspectsOnceAtTheWindowsEnd()
    {
        // The flake of the test above: the system timer counts whole milliseconds of its own tick, the
        // verdict reads the clock, so the monitor window's timer fired a moment before the clock said the
        // window was over; the gate inspected, found it not over, and inspected again and again (3-7
        // inspects) until the clock caught up. Here every timer fires 50 ms early, every time: far more
        // than a tick, so that a thread pool slowed by a loaded machine cannot hide it.
        var (engine, events, id) = await StartedContainerAsync(ContainerHealth.Starting);
        var early = new EarlyTimers(TimeSpan.FromMilliseconds(50));
        await using var hub = ContainerEventHub.Start(events, Host, early);
        var inspectsBefore = engine.InspectCalls;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var waiting = new HealthGate(engine, early, hub).WaitAsync(id, SlowProbe, ShortMonitor, timeout.Token);
        engine.SetHealth("shop-web-1", ContainerHealth.Healthy);
        events.Send(id, EngineEventActions.HealthStatus, ContainerHealth.Healthy);

        Assert.Null(await waiting);
        Assert.Equal(2, engine.InspectCalls - inspectsBefore);
    }

    /// <summary>The system's clock, with timers that fire <paramref name="early"/> before their due time.</summary>
    private sealed class EarlyTimers(TimeSpan early) : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            System.CreateTimer(callback, state, dueTime == Timeout.InfiniteTimeSpan ? dueTime : dueTime > early ? dueTime - early : TimeSpan.Zero, period);
    }

    [Fact]
    public async Task WaitAsync_UnhealthyEvent_FailsWithTheHealthCheckOutputAsEvidence()
    {
        var (engine, events, id) = await StartedContainerAsync(ContainerHealth.Starting);
        await using var hub = ContainerEventHub.Start(events, Host, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var waiting = new HealthGate(engine, TimeProvider.System, hub).WaitAsync(id, SlowProbe, ShortMonitor, timeout.Token);
        engine.SetHealth("shop-web-1", ContainerHealth.Unhealthy, "connection refused");
        events.Send(id, EngineEventActions.HealthStatus, ContainerHealth.Unhealthy);

        var evidence = await waiting;
        Assert.NotNull(evidence);
        Assert.Equal("unhealthy", evidence.Reason);
        Assert.Equal("connection refused", evidence.LastHealthOutput);
        Assert.Equal("shop-web-1", evidence.ContainerName);
    }

    [Fact]
    public async Task WaitAsync_DieDuringMonitor_FailsWithTheExitCode()
    {
        var (engine, events, id) = await StartedContainerAsync(ContainerHealth.Healthy);
        await using var hub = ContainerEventHub.Start(events, Host, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // A monitor window longer than the test may run: only the die event can end it in time.
        var waiting = new HealthGate(engine, TimeProvider.System, hub).WaitAsync(id, SlowProbe, TimeSpan.FromMinutes(5), timeout.Token);
        engine.StopByHand("shop-web-1");
        events.Send(id, EngineEventActions.Die);

        var evidence = await waiting;
        Assert.NotNull(evidence);
        Assert.Equal("exited with code 137", evidence.Reason);
        Assert.Equal(137, evidence.ExitCode);
    }

    [Fact]
    public async Task WaitAsync_StreamBroken_FallsBackToPollingAndStillDecides()
    {
        var (engine, events, id) = await StartedContainerAsync(ContainerHealth.Starting);
        await using var hub = ContainerEventHub.Start(events, Host, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var waiting = new HealthGate(engine, TimeProvider.System, hub).WaitAsync(id, SlowProbe, ShortMonitor, timeout.Token);
        events.Break(new EngineException(EngineFailureKind.Transient, "socket closed"));
        // No event says so: only polling can see it turn healthy.
        engine.SetHealth("shop-web-1", ContainerHealth.Healthy);

        Assert.Null(await waiting);
    }

    [Fact]
    public async Task WaitAsync_NoEventStream_PollsAndStillDecides()
    {
        var (engine, _, id) = await StartedContainerAsync(ContainerHealth.Starting);
        await using var hub = ContainerEventHub.Start(null, Host, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var waiting = new HealthGate(engine, TimeProvider.System, hub).WaitAsync(id, SlowProbe, ShortMonitor, timeout.Token);
        engine.SetHealth("shop-web-1", ContainerHealth.Healthy);

        Assert.Null(await waiting);
    }

    [Fact]
    public async Task WaitAsync_TwoGatesOfOnePass_ShareOneEventSubscription()
    {
        var engine = new FakeContainerEngine();
        var events = new FakeEngineEvents();
        var first = await CreateStartedAsync(engine, "web", ContainerHealth.Starting);
        var second = await CreateStartedAsync(engine, "api", ContainerHealth.Starting);
        await using var hub = ContainerEventHub.Start(events, Host, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var gate = new HealthGate(engine, TimeProvider.System, hub);

        // An event that arrives before its gate subscribed is kept for it.
        engine.SetHealth("shop-api-1", ContainerHealth.Healthy);
        events.Send(second, EngineEventActions.HealthStatus, ContainerHealth.Healthy);
        var waiting = new[] { gate.WaitAsync(first, SlowProbe, ShortMonitor, timeout.Token), gate.WaitAsync(second, SlowProbe with { Name = "api" }, ShortMonitor, timeout.Token) };
        engine.SetHealth("shop-web-1", ContainerHealth.Healthy);
        events.Send(first, EngineEventActions.HealthStatus, ContainerHealth.Healthy);

        Assert.All(await Task.WhenAll(waiting), Assert.Null);
        Assert.Equal(1, events.Subscriptions);
    }

    [Fact]
    public async Task WaitAsync_ContainerRemovedUnderIt_FailsAsNotFound()
    {
        var (engine, events, id) = await StartedContainerAsync(ContainerHealth.Starting);
        await using var hub = ContainerEventHub.Start(events, Host, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var waiting = new HealthGate(engine, TimeProvider.System, hub).WaitAsync(id, SlowProbe, ShortMonitor, timeout.Token);
        await engine.RemoveContainerAsync(id, CancellationToken.None);
        events.Send(id, EngineEventActions.Destroy);

        var exception = await Assert.ThrowsAsync<EngineNotFoundException>(() => waiting);
        Assert.Equal(HttpStatusCode.NotFound, exception.StatusCode);
    }

    private static async Task<(FakeContainerEngine Engine, FakeEngineEvents Events, string Id)> StartedContainerAsync(ContainerHealth health)
    {
        var engine = new FakeContainerEngine();
        return (engine, new FakeEngineEvents(), await CreateStartedAsync(engine, "web", health));
    }

    private static async Task<string> CreateStartedAsync(FakeContainerEngine engine, string serviceName, ContainerHealth health)
    {
        var service = SlowProbe with { Name = serviceName };
        var name = $"shop-{serviceName}-1";
        var id = await engine.CreateContainerAsync(new ContainerCreateRequest(service, 1, name, new ResourceOwner(Host, "rev-1"), null, true), CancellationToken.None);
        await engine.StartContainerAsync(id, CancellationToken.None);
        engine.SetHealth(name, health);
        return id;
    }
}
