using Berth.Daemon.Loop;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Daemon;

public sealed class LivenessAndBackoffTests
{
    private static readonly ReconcileLoopOptions Options = new()
    {
        RetryInitialDelay = TimeSpan.FromSeconds(5),
        RetryMaxDelay = TimeSpan.FromMinutes(5),
        StuckPassAfter = TimeSpan.FromMinutes(30),
        HeartbeatPeriod = TimeSpan.FromSeconds(5),
    };

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(7, 300)]
    [InlineData(1000, 300)]
    public void FailureBackoff_NoJitter_DoublesUpToTheCap(int failures, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), FailureBackoff.Delay(Options, failures, random01: 0));

    [Fact]
    public void FailureBackoff_FullJitter_TakesAtMostTwentyPercentOff() =>
        Assert.Equal(TimeSpan.FromSeconds(8), FailureBackoff.Delay(Options, 2, random01: 1));

    [Fact]
    public void Liveness_IdleWithoutHeartbeatForThreePeriods_IsWedged()
    {
        var time = new FakeTimeProvider();
        var liveness = new LoopLiveness(Options, time);

        time.Advance(TimeSpan.FromSeconds(15));
        Assert.True(liveness.Check(time.GetUtcNow()).Alive);

        time.Advance(TimeSpan.FromSeconds(1));
        var verdict = liveness.Check(time.GetUtcNow());
        Assert.False(verdict.Alive);
        Assert.Contains("wedged", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Liveness_LongPassWithinTheBound_IsAlive()
    {
        var time = new FakeTimeProvider();
        var liveness = new LoopLiveness(Options, time);

        liveness.PassStarted(time.GetUtcNow());
        time.Advance(TimeSpan.FromMinutes(29));

        Assert.True(liveness.Check(time.GetUtcNow()).Alive);
    }

    [Fact]
    public void Liveness_PassEndsAfterBeingStuck_IsAliveAgain()
    {
        var time = new FakeTimeProvider();
        var liveness = new LoopLiveness(Options, time);
        liveness.PassStarted(time.GetUtcNow());
        time.Advance(TimeSpan.FromMinutes(31));
        Assert.False(liveness.Check(time.GetUtcNow()).Alive);

        liveness.PassEnded(time.GetUtcNow());

        Assert.True(liveness.Check(time.GetUtcNow()).Alive);
    }

    [Fact]
    public void Liveness_LoopExited_IsDeadForGood()
    {
        var time = new FakeTimeProvider();
        var liveness = new LoopLiveness(Options, time);

        liveness.Exited();
        liveness.Heartbeat(time.GetUtcNow());

        Assert.False(liveness.Check(time.GetUtcNow()).Alive);
    }
}
