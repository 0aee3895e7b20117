using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>A failed revision holds back only the services it failed for; drift repair and the rest still run.</summary>
public sealed class FailedRevisionHoldTests
{
    private const string Host = "host-a";
    private static readonly DateTimeOffset FailedAt = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static readonly ServiceSpec Db = Service("shop", "db", Container());
    private static readonly ServiceSpec OldWeb = Service("shop", "web", WebContainer());
    private static readonly ServiceSpec NewWeb = OldWeb.WithEnvironment("VERSION", "2");
    private static readonly ServiceSpec Worker = Service("shop", "worker", Container(), 1,
        new ServiceDependency("web", DependencyCondition.ServiceHealthy, false, true));

    /// <summary>The new web failed before; meanwhile db and worker were stopped by hand.</summary>
    private static Plan DriftedPlan()
    {
        var desired = Desired(Host, Stack("shop", [Db, NewWeb, Worker]));
        var observed = TestObserved.State([
            TestObserved.Running(Db, 1) with { State = ContainerRunState.Exited, ExitCode = 137 },
            TestObserved.Running(OldWeb, 1),
            TestObserved.Running(Worker, 1) with { State = ContainerRunState.Exited, ExitCode = 137 },
        ]);
        return Planner.Create(desired, observed, TestObserved.Applied(Host, Db, OldWeb, Worker), DriftMode.Repair);
    }

    private static FailedRevision Failed(params string[] services) =>
        new("rev-bad", "shop/web: rolled back", FailedAt, [.. services]);

    [Fact]
    public void Hold_FailedService_DropsOnlyItsStepsAndKeepsDriftRepairOfTheOthers()
    {
        var (plan, held) = FailedRevisionHold.Apply(DriftedPlan(), Failed("shop/web"));

        Assert.Equal<string>(["shop/web"], held);
        Assert.Equal(
            """
            plan for host host-a: 3 changes
              start container shop-db-1: not running (exited with code 137)
              wait until shop/web is healthy: shop/worker depends on it (service_healthy)
              start container shop-worker-1: not running (exited with code 137)
              note: shop/web: held back: its rollout of revision rev-bad failed at 2026-11-25 12:00:00Z; retried when the desired state changes or with --retry-failed

            """.ReplaceLineEndings("\n"),
            plan.ToString());
    }

    [Fact]
    public void Hold_RecordFromBeforeServicesWereKept_HoldsEveryServiceWithChanges()
    {
        var legacy = new FailedRevision("rev-bad", "rolled back", FailedAt);

        var (plan, held) = FailedRevisionHold.Apply(DriftedPlan(), legacy);

        Assert.Equal<string>(["shop/db", "shop/web", "shop/worker"], held);
        Assert.False(plan.HasChanges);
    }

    [Fact]
    public void Hold_FailedServiceHasNoChangesAnyMore_HoldsNothing()
    {
        var original = DriftedPlan();

        var (plan, held) = FailedRevisionHold.Apply(original, Failed("shop/cache"));

        Assert.Empty(held);
        Assert.Same(original, plan);
    }

    [Fact]
    public void Hold_NoFailedRecord_KeepsThePlan()
    {
        var original = DriftedPlan();

        var (plan, held) = FailedRevisionHold.Apply(original, null);

        Assert.Empty(held);
        Assert.Same(original, plan);
    }
}
