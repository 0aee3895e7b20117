using System.Collections.Immutable;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Fronts;

/// <summary>The planner's part of x-berth.front, and which replicas a front forwards to.</summary>
public sealed class FrontPlanTests
{
    private const string Host = "host-a";
    private static readonly NetworkSpec Backend = Network("shop", "backend");
    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), replicas: 2).OnNetwork(Backend, "shop-web").Fronted();

    private static DesiredState Shop(params ServiceSpec[] services) => Desired(Host, Stack("shop", services, [Backend]));

    private static ObservedFront FrontOf(ServiceSpec service, string? hash = null, ContainerRunState state = ContainerRunState.Running, bool aliased = true) =>
        new("front-id", $"{service.Stack}-{service.Name}-front", service.Stack, service.Name, hash ?? FrontDefinition.For(service).Hash, state, 4242, ["shop_backend"], aliased);

    private static string PlanText(DesiredState desired, ObservedState observed) =>
        Planner.Create(desired, observed, TestObserved.Applied(Host, [.. desired.AllServices])).ToString();

    [Fact]
    public void FrontedService_WithoutItsFront_GetsItBeforeAnyReplica()
    {
        var text = Planner.Create(Shop(Web), TestObserved.State([]), AppliedState.Empty(Host)).ToString();

        Assert.Equal(
            """
            plan for host host-a: 4 changes
              create network shop_backend: missing
              create front shop-web-front (shop/web): missing
              create container shop-web-1 (shop/web #1): missing
              create container shop-web-2 (shop/web #2): missing

            """, text);
    }

    [Fact]
    public void Front_Matching_IsNoChange_OtherwiseRecreatedWithTheCause()
    {
        var matching = TestObserved.Matching(Shop(Web));

        Assert.Equal("plan for host host-a: no changes\n", PlanText(Shop(Web), matching with { Fronts = [FrontOf(Web)] }));
        Assert.Contains("re-create front shop-web-front (shop/web): networks or aliases changed", PlanText(Shop(Web), matching with { Fronts = [FrontOf(Web, hash: "old")] }), StringComparison.Ordinal);
        Assert.Contains("re-create front shop-web-front (shop/web): not running", PlanText(Shop(Web), matching with { Fronts = [FrontOf(Web, state: ContainerRunState.Exited)] }), StringComparison.Ordinal);
        Assert.Contains("re-create front shop-web-front (shop/web): created but never given the service's names", PlanText(Shop(Web), matching with { Fronts = [FrontOf(Web, aliased: false)] }), StringComparison.Ordinal);
    }

    [Fact]
    public void Front_OfAServiceThatLeftOrTurnedItOff_IsRemovedBeforeNetworks()
    {
        var plain = Service("shop", "web", WebContainer(), replicas: 2).OnNetwork(Backend, "shop-web");
        // Off: the replicas are replaced (they get the aliases back), and the front goes after them, as
        // part of the service (it runs only if the service converged, and is held with it).
        var turnedOff = Planner.Create(Shop(plain), TestObserved.Matching(Shop(Web)) with { Fronts = [FrontOf(Web)] }, TestObserved.Applied(Host, Web));
        Assert.Equal(
            """
            plan for host host-a: 3 changes
              replace container shop-web-1 (shop/web #1, start-first): config changed: x-berth.front
              replace container shop-web-2 (shop/web #2, start-first): config changed: x-berth.front
              remove front shop-web-front: x-berth.front is off

            """, turnedOff.ToString());
        Assert.Equal("shop/web", turnedOff.Steps[^1].QualifiedService);

        var other = Service("shop", "api", WebContainer());
        var observed = TestObserved.Matching(Shop(Web, other)) with { Fronts = [FrontOf(Web)] };
        var gone = Planner.Create(Desired(Host, Stack("shop", [other], [])), observed, AppliedState.Empty(Host)).ToString();
        var frontRemoval = gone.IndexOf("remove front shop-web-front: removed from spec", StringComparison.Ordinal);
        Assert.True(frontRemoval > 0, gone);
        Assert.True(frontRemoval < gone.IndexOf("remove network shop_backend", StringComparison.Ordinal), gone);
    }

    [Fact]
    public void Front_ForwardsOnlyToRunningProvenReplicas_NeverToRetiredOrUnprovenOnes()
    {
        static ObservedContainer At(ObservedContainer container, string address) =>
            container with { Addresses = container.Addresses.Add("shop_backend", address) };
        var replica1 = At(TestObserved.Running(Web, 1), "10.0.0.1");
        var replica2 = At(TestObserved.Running(Web, 2), "10.0.0.2");
        var unproven = At(TestObserved.Running(Web, 1, id: "next") with { Name = "shop-web-1-next-abc", ReplacementOf = "shop-web-1" }, "10.0.0.3");
        var unhealthy = At(TestObserved.Running(Web, 2, id: "sick") with { Name = "shop-web-2-next-def", ReplacementOf = "shop-web-2", Health = ContainerHealth.Unhealthy }, "10.0.0.4");
        var observed = TestObserved.State([replica1, replica2, unproven, unhealthy]);
        var router = new FrontRouter(null!, null!, Host, new HashSet<string> { "shop/web" });
        var front = FrontOf(Web);

        Assert.Equal(["10.0.0.1", "10.0.0.2"], router.Backends(front, observed));

        router.Admit(unproven.Id);
        router.Retire(replica1.Id);
        router.Admit(unhealthy.Id);
        Assert.Equal(["10.0.0.2", "10.0.0.3"], router.Backends(front, observed));

        router.Reinstate(replica1.Id);
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], router.Backends(front, observed));
    }

    [Fact]
    public void Front_ForwardsOnTheNetworksItIsOn_NotThoseTheSpecNowNames()
    {
        var onBoth = TestObserved.Running(Web, 1) with { Addresses = ImmutableSortedDictionary<string, string>.Empty.Add("shop_aaa", "10.1.0.1").Add("shop_backend", "10.0.0.1") };
        var elsewhere = TestObserved.Running(Web, 2) with { Addresses = ImmutableSortedDictionary<string, string>.Empty.Add("shop_aaa", "10.1.0.2") };
        var router = new FrontRouter(null!, null!, Host, new HashSet<string> { "shop/web" });

        Assert.Equal(["10.0.0.1"], router.Backends(FrontOf(Web), TestObserved.State([onBoth, elsewhere])));
    }

    [Fact]
    public void HeldService_ItsFrontIsStillRestartedOrCreated_ButNotRecreatedForTheFailedRevision()
    {
        var failed = new FailedRevision("rev2", "gate failed", DateTimeOffset.UnixEpoch, ["shop/web"]);
        var stopped = Planner.Create(Shop(Web), TestObserved.Matching(Shop(Web)) with { Fronts = [FrontOf(Web, state: ContainerRunState.Exited)] }, TestObserved.Applied(Host, Web));
        var changed = Planner.Create(Shop(Web), TestObserved.Matching(Shop(Web)) with { Fronts = [FrontOf(Web, hash: "old")] }, TestObserved.Applied(Host, Web));

        var missing = Planner.Create(Shop(Web), TestObserved.Matching(Shop(Web)), TestObserved.Applied(Host, Web));
        var (keptRepair, heldForRepair) = Berth.Reconciler.Reconciliation.FailedRevisionHold.Apply(stopped, failed);
        var (keptMissing, heldForMissing) = Berth.Reconciler.Reconciliation.FailedRevisionHold.Apply(missing, failed);
        var plain = Service("shop", "web", WebContainer(), replicas: 2).OnNetwork(Backend, "shop-web");
        var introduced = Planner.Create(Shop(Web), TestObserved.Matching(Shop(plain)), TestObserved.Applied(Host, plain));
        var (keptIntroduced, heldForIntroduced) = Berth.Reconciler.Reconciliation.FailedRevisionHold.Apply(introduced, failed);
        var (keptChange, heldForChange) = Berth.Reconciler.Reconciliation.FailedRevisionHold.Apply(changed, failed);

        Assert.Equal((1, 0), (keptRepair.Steps.Length, heldForRepair.Length));
        Assert.Equal((0, 1), (keptChange.Steps.Length, heldForChange.Length));
        Assert.Equal((1, 0), (keptMissing.Steps.Length, heldForMissing.Length));
        Assert.Equal((0, 1), (keptIntroduced.Steps.Length, heldForIntroduced.Length));
    }
}
