using Berth.Reconciler.Engine;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>A replica taken off its network by hand (`docker network disconnect`) is connected again in place.</summary>
public sealed class NetworkDriftPlannerTests
{
    private const string Host = "host-a";

    private static readonly NetworkSpec Backend = Network("shop", "backend");
    private static readonly NetworkSpec Frontend = Network("shop", "frontend");
    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), replicas: 2).OnNetwork(Backend, "shop-web").OnNetwork(Frontend);

    private static DesiredState Shop(ServiceSpec web) => Desired(Host, Stack("shop", [web], [Backend, Frontend]));

    /// <summary>Everything running as berth left it, with the networks each replica is listed on.</summary>
    private static ObservedState Observed(ServiceSpec web, Func<int, string[]> networksOf, Func<ObservedContainer, ObservedContainer>? change = null)
    {
        var matching = TestObserved.Matching(Shop(web));
        change ??= container => container;
        return matching with { Containers = [.. matching.Containers.Select(container => change(container with { Networks = [.. networksOf(container.Replica)] }))] };
    }

    private static string PlanText(ServiceSpec desired, ObservedState observed, DriftMode driftMode = DriftMode.Repair) =>
        Planner.Create(Shop(desired), observed, TestObserved.Applied(Host, Web), driftMode).ToString();

    [Fact]
    public void Plan_ReplicaDisconnectedByHand_ReconnectsItInPlace()
    {
        var observed = Observed(Web, replica => replica == 1 ? ["shop_frontend"] : ["shop_backend", "shop_frontend"]);

        var plan = Planner.Create(Shop(Web), observed, TestObserved.Applied(Host, Web));

        Assert.Equal(
            """
            plan for host host-a: 1 change
              reconnect container shop-web-1 to network shop_backend: disconnected outside berth

            """, plan.ToString());
        var step = Assert.IsType<ReconnectNetworkStep>(Assert.Single(plan.Steps));
        Assert.True(step.RepairsDrift);
        Assert.Equal<string>(["shop-web"], step.Network.Aliases);
        Assert.Equal(["in place, answering to web, shop-web: no restart, no health gate"], PlanGraphText.Details(step));
    }

    [Fact]
    public void Plan_ReplicaOnEveryNetworkAndOneMoreByHand_HasNoChanges()
    {
        // A network someone connected by hand is not berth's to take away.
        var observed = Observed(Web, _ => ["bridge", "shop_backend", "shop_frontend"]);

        Assert.Equal("plan for host host-a: no changes\n", PlanText(Web, observed));
    }

    [Fact]
    public void Plan_NetworksNotObserved_PlansNoReconnect()
    {
        var observed = TestObserved.Matching(Shop(Web));

        Assert.Equal("plan for host host-a: no changes\n", PlanText(Web, observed));
    }

    [Fact]
    public void Plan_StoppedAndDisconnected_ReconnectsBeforeItStarts()
    {
        var observed = Observed(Web, replica => replica == 2 ? [] : ["shop_backend", "shop_frontend"],
            container => container.Replica == 2 ? container with { State = ContainerRunState.Exited, Health = ContainerHealth.None, ExitCode = 137 } : container);

        Assert.Equal(
            """
            plan for host host-a: 3 changes
              reconnect container shop-web-2 to network shop_backend: disconnected outside berth
              reconnect container shop-web-2 to network shop_frontend: disconnected outside berth
              start container shop-web-2: not running (exited with code 137)

            """, PlanText(Web, observed));
    }

    [Fact]
    public void Plan_DisconnectedReplicaThatIsReplaced_GetsItsNetworksFromTheCreate()
    {
        var changed = Web.WithEnvironment("GREETING", "hi");
        var observed = Observed(Web, replica => replica == 1 ? [] : ["shop_backend", "shop_frontend"]);

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              replace container shop-web-1 (shop/web #1, start-first): config changed: environment
              replace container shop-web-2 (shop/web #2, start-first): config changed: environment

            """, PlanText(changed, observed));
    }

    [Fact]
    public void Plan_DisconnectedReplicaBehindAFront_IsReconnectedWithoutTheServiceNames()
    {
        var fronted = Web.Fronted();
        var front = FrontDefinition.For(fronted);
        var observed = Observed(fronted, replica => replica == 1 ? ["shop_frontend"] : ["shop_backend", "shop_frontend"]) with
        {
            Fronts = [new ObservedFront("front-id", front.Name, "shop", "web", front.Hash, ContainerRunState.Running, 42, ["shop_backend", "shop_frontend"], Aliased: true)],
        };

        var plan = Planner.Create(Shop(fronted), observed, TestObserved.Applied(Host, fronted));

        var step = Assert.IsType<ReconnectNetworkStep>(Assert.Single(plan.Steps));
        Assert.Equal("reconnect container shop-web-1 to network shop_backend: disconnected outside berth", step.Describe());
        // The front answers to the service's names; a replica behind it never does (docs/rollout.md, "The front").
        Assert.Empty(CreateParametersMapper.Aliases(step.Service, step.Network, attachAliases: true));
        Assert.Equal(["in place, without the service's names (its front holds them): no restart, no health gate"], PlanGraphText.Details(step));
    }

    [Fact]
    public void Plan_WarnOnlyDrift_ReportsTheDisconnectWithoutRepairingIt()
    {
        var observed = Observed(Web, replica => replica == 1 ? ["shop_frontend"] : ["shop_backend", "shop_frontend"]);

        Assert.Equal(
            """
            plan for host host-a: no changes
              note: shop-web-1: drift: disconnected from network shop_backend outside berth (warn-only mode: not repaired)

            """, PlanText(Web, observed, DriftMode.Warn));
    }
}
