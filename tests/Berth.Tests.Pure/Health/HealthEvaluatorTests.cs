using Berth.Reconciler.Engine;
using Berth.Reconciler.Health;
using Berth.Reconciler.Observe;

namespace Berth.Tests.Health;

public sealed class HealthEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static GateVerdict Evaluate(ContainerRunState state, int exitCode) => HealthEvaluator.Evaluate(
        new ContainerSnapshot("id", "shop-migrate-1", state, ContainerHealth.None, exitCode, RestartCount: 0, LastHealthOutput: null, FailingStreak: 0, StartedAt: Now, Networks: []),
        hasHealthCheck: false, restartCountAtStart: 0, healthySince: null, elapsed: TimeSpan.FromSeconds(1),
        healthDeadline: TimeSpan.FromMinutes(1), monitor: TimeSpan.FromSeconds(5), now: Now);

    [Fact]
    public void Evaluate_ExitedWithCodeZero_FailsAndSaysOneShotJobsAreNotSupported()
    {
        var verdict = Evaluate(ContainerRunState.Exited, 0);

        Assert.Equal(GateState.Failed, verdict.State);
        Assert.Equal("exited with code 0: berth runs long-lived services, so a container that exits fails its gate (one-shot jobs are not supported yet)", verdict.Reason);
    }

    [Theory]
    [InlineData(true, 10, "Failed", "unhealthy")]
    [InlineData(false, 10, "Pending", "unhealthy for now; nothing to roll back to, so it may still recover")]
    [InlineData(false, 61, "Failed", "unhealthy, and still not healthy after 60s")]
    public void Evaluate_Unhealthy_IsFinalOnlyWithSomethingToRollBackToOrPastTheDeadline(bool unhealthyIsFinal, int elapsedSeconds, string state, string reason)
    {
        var verdict = HealthEvaluator.Evaluate(
            new ContainerSnapshot("id", "shop-web-1", ContainerRunState.Running, ContainerHealth.Unhealthy, 0, RestartCount: 0, LastHealthOutput: "timed out", FailingStreak: 3, StartedAt: Now, Networks: []),
            hasHealthCheck: true, restartCountAtStart: 0, healthySince: null, elapsed: TimeSpan.FromSeconds(elapsedSeconds),
            healthDeadline: TimeSpan.FromMinutes(1), monitor: TimeSpan.FromSeconds(5), now: Now, unhealthyIsFinal: unhealthyIsFinal);

        Assert.Equal((state, reason), (verdict.State.ToString(), verdict.Reason));
    }

    [Fact]
    public void FirstDeployHealthDeadline_IsTwiceTheDeadline_SoAnUnhealthyContainerHasAsManyProbesAgainToRecover()
    {
        var check = new Berth.Reconciler.Spec.Model.HealthCheckSpec(["CMD", "true"], TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.Zero, 3);

        // start_period 10 s + (interval 5 s + timeout 1 s) x (retries 3 + 1) + 5 s = 39 s.
        Assert.Equal((TimeSpan.FromSeconds(39), TimeSpan.FromSeconds(78)), (HealthEvaluator.HealthDeadline(check), HealthEvaluator.FirstDeployHealthDeadline(check)));
    }

    [Fact]
    public void Evaluate_ExitedWithAnErrorCode_FailsWithTheCode()
    {
        Assert.Equal(GateVerdict.Failed("exited with code 3"), Evaluate(ContainerRunState.Exited, 3));
    }
}
