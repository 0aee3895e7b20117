using System.Collections.Immutable;
using Berth.Daemon.Loop;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Observe;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Daemon;

/// <summary>Which engine events ask for a pass, over berth's own event records (no engine).</summary>
public sealed class FrontWatcherTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingTrigger trigger = new();

    private FrontWatcher Watcher() => new(new NoEvents(), "host-a", trigger, time, NullLogger<FrontWatcher>.Instance);

    private static EngineEvent ContainerEvent(string action, (string Key, string Value) label, ContainerHealth? health = null) =>
        new(EngineObjectType.Container, action, "c1", null, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [new KeyValuePair<string, string>("name", "shop-web-1"), new KeyValuePair<string, string>(label.Key, label.Value)]))
        {
            Health = health,
        };

    public static TheoryData<EngineEvent> AsksForAPass() => new()
    {
        ContainerEvent(EngineEventActions.Start, (BerthLabels.Role, BerthLabels.FrontRole)),
        ContainerEvent(EngineEventActions.Die, (BerthLabels.BehindFront, "true")),
        ContainerEvent(EngineEventActions.HealthStatus, (BerthLabels.BehindFront, "true"), ContainerHealth.Healthy),
        ContainerEvent(EngineEventActions.HealthStatus, (BerthLabels.BehindFront, "true"), ContainerHealth.Unhealthy),
    };

    public static TheoryData<EngineEvent> Ignored() => new()
    {
        ContainerEvent(EngineEventActions.Start, (BerthLabels.Service, "web")), // neither a front nor behind one
        ContainerEvent(EngineEventActions.HealthStatus, (BerthLabels.BehindFront, "true"), ContainerHealth.Starting),
        ContainerEvent(EngineEventActions.Destroy, (BerthLabels.Role, BerthLabels.FrontRole)),
    };

    [Theory]
    [MemberData(nameof(AsksForAPass))]
    public void OnEvent_FrontOrReplicaBehindOneChanges_AsksForOnePassOnceTheBurstSettled(EngineEvent engineEvent)
    {
        using var watcher = Watcher();

        watcher.OnEvent(engineEvent);
        watcher.OnEvent(engineEvent);
        Assert.Empty(trigger.Requests);
        time.Advance(FrontWatcher.Settle);

        Assert.Equal([PassTrigger.EngineEvent], trigger.Requests);
    }

    [Theory]
    [MemberData(nameof(Ignored))]
    public void OnEvent_NothingAFrontDependsOn_AsksForNothing(EngineEvent engineEvent)
    {
        using var watcher = Watcher();

        watcher.OnEvent(engineEvent);
        time.Advance(FrontWatcher.Settle * 2);

        Assert.Empty(trigger.Requests);
    }

    [Fact]
    public void OnEvent_DuringAPass_IsThePassesOwnWorkAndAsksForNothing()
    {
        using var watcher = Watcher();
        trigger.PassRunning = true;

        watcher.OnEvent(ContainerEvent(EngineEventActions.Start, (BerthLabels.Role, BerthLabels.FrontRole)));
        time.Advance(FrontWatcher.Settle * 2);

        Assert.Empty(trigger.Requests);
    }

    private sealed class RecordingTrigger : IPassTrigger
    {
        public List<PassTrigger> Requests { get; } = [];

        public bool PassRunning { get; set; }

        public void Request(PassTrigger trigger) => Requests.Add(trigger);

        public Task<PassRecord> RequestAndWaitAsync(PassTrigger trigger, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<PassRecord> RequestAndWaitAsync(PassTrigger trigger, PassOptions options, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class NoEvents : IEngineEvents
    {
        public IAsyncEnumerable<EngineEvent> StreamAsync(EngineEventFilter filter, DateTimeOffset? since, CancellationToken cancellationToken) =>
            AsyncEnumerable.Empty<EngineEvent>();
    }
}
