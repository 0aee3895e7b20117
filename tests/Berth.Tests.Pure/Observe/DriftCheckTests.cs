using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Observe;

/// <summary>
/// Which replicas the daemon's pass inspects for drift only an inspect shows (`docker update`): all on
/// the first pass, after a stream break and at each resync; otherwise only those an `update` event named.
/// </summary>
public sealed class DriftCheckTests
{
    private const string Host = "host-a";

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero));
    private readonly ObservationCache cache;

    public DriftCheckTests()
    {
        cache = new ObservationCache(Host, TimeSpan.FromMinutes(10), time);
        cache.StreamStarting();
    }

    private static EngineEvent ContainerEvent(string action, string containerId, string host = Host) =>
        new(EngineObjectType.Container, action, containerId, null, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
        [
            new KeyValuePair<string, string>(BerthLabels.ManagedBy, BerthLabels.ManagedByValue),
            new KeyValuePair<string, string>(BerthLabels.Host, host),
        ]));

    [Fact]
    public void TakeDriftCheck_FirstPassThenIdle_ChecksEveryReplicaOnceThenNone()
    {
        Assert.Equal(DriftCheckScope.Everything, cache.TakeDriftCheck());

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.True(cache.TakeDriftCheck().IsNone);
    }

    [Fact]
    public void TakeDriftCheck_UpdateEventOfAReplica_ChecksOnlyThatContainerOnce()
    {
        cache.TakeDriftCheck();
        cache.OnEvent(ContainerEvent(EngineEventActions.Update, "c1"));
        cache.OnEvent(ContainerEvent(EngineEventActions.Start, "c2"));
        cache.OnEvent(ContainerEvent(EngineEventActions.Update, "c3", host: "host-b"));

        var scope = cache.TakeDriftCheck();

        Assert.False(scope.All);
        Assert.Equal(["c1"], scope.ContainerIds);
        Assert.True(cache.TakeDriftCheck().IsNone);
    }

    [Fact]
    public void TakeDriftCheck_UpdateEventOfBerthsOwnRepair_ChecksNothing()
    {
        // An engine that does not keep a value it is given (no swap accounting, rootless) would otherwise make
        // repair, event, inspect, the same drift, repair again, every pass; the resync still finds it.
        cache.TakeDriftCheck();
        cache.ExpectOwnUpdate("c1");
        cache.OnEvent(ContainerEvent(EngineEventActions.Update, "c1"));

        Assert.True(cache.TakeDriftCheck().IsNone);

        // Only the one event it expected: a later `docker update` by hand is drift again.
        cache.OnEvent(ContainerEvent(EngineEventActions.Update, "c1"));
        Assert.Equal(["c1"], cache.TakeDriftCheck().ContainerIds);
    }

    [Fact]
    public void PutBackDriftCheck_PassEndedWithoutAResult_TheNextPassChecksTheSameContainers()
    {
        cache.TakeDriftCheck();
        cache.OnEvent(ContainerEvent(EngineEventActions.Update, "c1"));
        var failed = cache.TakeDriftCheck();

        cache.PutBackDriftCheck(failed);
        cache.OnEvent(ContainerEvent(EngineEventActions.Update, "c2"));

        Assert.Equal(["c1", "c2"], cache.TakeDriftCheck().ContainerIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PutBackDriftCheck_FullCheckOfAFailedPass_IsDueAgain()
    {
        var failed = cache.TakeDriftCheck();

        cache.PutBackDriftCheck(failed);

        Assert.Equal(DriftCheckScope.Everything, cache.TakeDriftCheck());
    }

    [Fact]
    public void TakeDriftCheck_ResyncIntervalPassed_ChecksEveryReplicaAgain()
    {
        cache.TakeDriftCheck();

        time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(DriftCheckScope.Everything, cache.TakeDriftCheck());
    }

    [Fact]
    public void TakeDriftCheck_StreamBroke_ChecksEveryReplicaOnTheNextPass()
    {
        cache.TakeDriftCheck();

        cache.StreamStopped();
        cache.StreamStarting();

        Assert.Equal(DriftCheckScope.Everything, cache.TakeDriftCheck());
    }
}
