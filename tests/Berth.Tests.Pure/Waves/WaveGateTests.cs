using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Waves;

namespace Berth.Tests.Waves;

/// <summary>The staged-rollout rule, decided from the evidence alone (docs/fleet.md, "Waves").</summary>
public sealed class WaveGateTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    // Wave 3: two hosts in wave 1 (soak 5 min), one in wave 2 (soak 10 min).
    private static readonly WavePosition Wave3 = new(3, [
        new WaveMember("canary-a", 1, TimeSpan.FromMinutes(5)),
        new WaveMember("canary-b", 1, TimeSpan.FromMinutes(5)),
        new WaveMember("early", 2, TimeSpan.FromMinutes(10)),
    ]);

    private static HostRevisionReport HealthyFor(TimeSpan duration) => new(HostRevisionState.Healthy, Now - duration);

    private static WaveEvidence Evidence(params (string Host, HostRevisionReport Report)[] hosts) =>
        WaveEvidence.Of(hosts.Select(host => KeyValuePair.Create(host.Host, host.Report)));

    [Fact]
    public void Decide_EveryEarlierHostHealthyForItsSoak_Goes()
    {
        var decision = WaveGate.Decide(Wave3, Commit, Evidence(
            ("canary-a", HealthyFor(TimeSpan.FromMinutes(30))),
            ("canary-b", HealthyFor(TimeSpan.FromMinutes(5))),
            ("early", HealthyFor(TimeSpan.FromMinutes(11)))), Now);

        Assert.True(decision.Go, decision.Message);
        Assert.Null(decision.Reason);
    }

    [Fact]
    public void Decide_OneEarlierHostFailed_HoldsNamingItEvenWhenAnotherIsMissing()
    {
        var decision = WaveGate.Decide(Wave3, Commit, Evidence(
            ("canary-a", HealthyFor(TimeSpan.FromHours(1))),
            ("early", new HostRevisionReport(HostRevisionState.Failed))), Now);

        Assert.False(decision.Go);
        Assert.Equal(WaveHoldReason.Failed, decision.Reason);
        Assert.Equal("wave 3 waits for wave 2: early (wave 2) failed commit 0123456789ab; waiting for a newer commit", decision.Message);
    }

    [Fact]
    public void Decide_AnEarlierHostReportedNothing_HoldsAsWaiting()
    {
        var decision = WaveGate.Decide(Wave3, Commit, Evidence(
            ("canary-a", HealthyFor(TimeSpan.FromHours(1))),
            ("early", HealthyFor(TimeSpan.FromHours(1)))), Now);

        Assert.False(decision.Go);
        Assert.Equal(WaveHoldReason.Waiting, decision.Reason);
        Assert.Equal("wave 3 waits for wave 2: canary-b (wave 1) has not reported commit 0123456789ab converged and healthy", decision.Message);
    }

    [Fact]
    public void Decide_SoakNotOver_HoldsWithTheLongestTimeLeft()
    {
        var decision = WaveGate.Decide(Wave3, Commit, Evidence(
            ("canary-a", HealthyFor(TimeSpan.FromMinutes(4))),
            ("canary-b", HealthyFor(TimeSpan.FromMinutes(6))),
            ("early", HealthyFor(TimeSpan.FromMinutes(2)))), Now);

        Assert.False(decision.Go);
        Assert.Equal(WaveHoldReason.Soaking, decision.Reason);
        Assert.Equal(TimeSpan.FromMinutes(8), decision.TimeLeft);
        Assert.Equal("wave 3 waits for wave 2: early (wave 2) runs commit 0123456789ab healthy, soak 8m left of 10m", decision.Message);
    }

    [Fact]
    public void Decide_SourceUnavailable_HoldsAndSaysWhy()
    {
        var decision = WaveGate.Decide(Wave3, Commit, WaveEvidence.Unavailable("prometheus http://127.0.0.1:1/: Connection refused"), Now);

        Assert.False(decision.Go);
        Assert.Equal(WaveHoldReason.SourceUnavailable, decision.Reason);
        Assert.Equal("wave 3 waits for wave 2: the gate source cannot be asked: prometheus http://127.0.0.1:1/: Connection refused", decision.Message);
    }

    [Fact]
    public void Decide_NoSourceConfigured_Holds()
    {
        var decision = WaveGate.Decide(Wave3, Commit, evidence: null, Now);

        Assert.False(decision.Go);
        Assert.Equal(WaveHoldReason.SourceUnavailable, decision.Reason);
        Assert.Contains("no gate source is configured", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_FirstWaveOrNoWave_GoesWithoutAskingAnything()
    {
        Assert.True(WaveGate.Decide(null, Commit, null, Now).Go);
        Assert.True(WaveGate.Decide(new WavePosition(1, []), Commit, null, Now).Go);
    }

    [Fact]
    public void Decide_ZeroSoak_GoesAsSoonAsEveryEarlierHostIsHealthy()
    {
        var position = new WavePosition(2, [new WaveMember("canary", 1, TimeSpan.Zero)]);

        Assert.True(WaveGate.Decide(position, Commit, Evidence(("canary", HealthyFor(TimeSpan.Zero))), Now).Go);
    }

    [Fact]
    public void Decide_HealthyButOnlyForAnotherHostName_StillWaits()
    {
        // Evidence for a host that is not in the earlier waves proves nothing about those that are.
        var position = new WavePosition(2, [new WaveMember("canary", 1, TimeSpan.Zero)]);

        var decision = WaveGate.Decide(position, Commit, Evidence(("canary.example.com", HealthyFor(TimeSpan.FromHours(1)))), Now);

        Assert.Equal(WaveHoldReason.Waiting, decision.Reason);
    }
}
