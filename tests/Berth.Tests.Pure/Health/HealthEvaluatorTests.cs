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

    [Fact]
    public void Evaluate_ExitedWithAnErrorCode_FailsWithTheCode()
    {
        Assert.Equal(GateVerdict.Failed("exited with code 3"), Evaluate(ContainerRunState.Exited, 3));
    }
}
