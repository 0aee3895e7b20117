using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>
/// `docker update` of a replica's limits or restart policy, as a drift check's inspect shows it: set back
/// in place where the engine can, a replacement where it cannot, a note in warn-only mode.
/// </summary>
public sealed class ResourceDriftPlannerTests
{
    private const string Host = "host-a";

    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer() with { Limits = new ResourceLimits(0.5, 64L << 20, 100) }, replicas: 2);

    private static DesiredState Shop => Desired(Host, Stack("shop", [Web]));

    /// <summary>Everything running as berth left it, inspected; replica 1 changed by <paramref name="change"/>.</summary>
    private static ObservedState Inspected(Func<ContainerResources, ContainerResources> change)
    {
        var matching = TestObserved.Matching(Shop);
        var created = ContainerResources.Of(Web.Container);
        return matching with { Containers = [.. matching.Containers.Select(container => container with { Resources = container.Replica == 1 ? change(created) : created })] };
    }

    private static string PlanText(ObservedState observed, DriftMode driftMode = DriftMode.Repair) =>
        Planner.Create(Shop, observed, TestObserved.Applied(Host, Web), driftMode).ToString();

    [Fact]
    public void Of_MemoryLimitWithoutSwapLimit_LeavesSwapToTheEngine()
    {
        // 0: not compared. The engine derives it (twice the memory) or, without swap accounting, reports -1.
        var resources = ContainerResources.Of(Web.Container);

        Assert.Equal(new ContainerResources(500_000_000, 64L << 20, 0, 0, 0, 100, "no", 0), resources);
    }

    [Theory]
    [InlineData(128L << 20)] // what the engine derives with swap accounting
    [InlineData(-1L)]        // what it reports without (cgroup v1 without swapaccount=1)
    public void Plan_SwapLimitTheSpecLeavesToTheEngine_IsNoDrift(long reportedSwap)
    {
        Assert.Equal("plan for host host-a: no changes\n", PlanText(Inspected(created => created with { MemorySwap = reportedSwap })));
    }

    [Fact]
    public void Plan_InspectedAsCreated_HasNoChanges()
    {
        Assert.Equal("plan for host host-a: no changes\n", PlanText(Inspected(created => created)));
    }

    [Fact]
    public void Plan_LimitsRaisedByHand_SetsThemBackInPlace()
    {
        var observed = Inspected(created => created with { Memory = 96L << 20, NanoCpus = 2_000_000_000 });

        var plan = Planner.Create(Shop, observed, TestObserved.Applied(Host, Web));

        Assert.Equal(
            """
            plan for host host-a: 1 change
              update container shop-web-1: changed outside berth (docker update): cpus, mem_limit

            """, plan.ToString());
        var step = Assert.IsType<UpdateContainerStep>(Assert.Single(plan.Steps));
        Assert.True(step.RepairsDrift);
        // What the create gave it, with the swap limit the engine derived then (the spec sets none).
        Assert.Equal(ContainerResources.Of(Web.Container) with { MemorySwap = 128L << 20 }, step.Resources);
        Assert.Equal(["in place (the engine's update): no restart, no health gate"], PlanGraphText.Details(step));
    }

    [Fact]
    public void Plan_LimitAddedWhereTheSpecHasNone_ReplacesTheReplica()
    {
        // The engine reads 0 as "leave it": a reservation set by hand cannot be taken off in place.
        var observed = Inspected(created => created with { MemoryReservation = 32L << 20 });

        Assert.Equal(
            """
            plan for host host-a: 1 change
              replace container shop-web-1 (shop/web #1, start-first): changed outside berth (docker update): mem_reservation

            """, PlanText(observed));
    }

    [Fact]
    public void Plan_RestartPolicyChangedByHand_ReplacesTheReplica()
    {
        var observed = Inspected(created => created with { RestartPolicy = "always" });

        Assert.Equal(
            """
            plan for host host-a: 1 change
              replace container shop-web-1 (shop/web #1, start-first): changed outside berth (docker update): restart

            """, PlanText(observed));
    }

    [Fact]
    public void Plan_PidsLimitReportedAsMinusOneWhereTheSpecHasNone_IsNotDrift()
    {
        var unlimited = Web.WithContainer(container => container with { Limits = container.Limits with { Pids = null } });
        var matching = TestObserved.Matching(Desired(Host, Stack("shop", [unlimited])));
        var observed = matching with
        {
            Containers = [.. matching.Containers.Select(container => container with { Resources = ContainerResources.Of(unlimited.Container) with { PidsLimit = ContainerResources.Unlimited(-1) } })],
        };

        var plan = Planner.Create(Desired(Host, Stack("shop", [unlimited])), observed, TestObserved.Applied(Host, unlimited));

        Assert.False(plan.HasChanges);
    }

    [Fact]
    public void Plan_WarnOnlyDrift_ReportsTheUpdateWithoutRepairingIt()
    {
        var observed = Inspected(created => created with { Memory = 96L << 20 });

        Assert.Equal(
            """
            plan for host host-a: no changes
              note: shop-web-1: drift: changed outside berth (docker update): mem_limit (warn-only mode: not repaired)

            """, PlanText(observed, DriftMode.Warn));
    }
}
