using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>Each scenario asserts the whole printed plan: order, operation, resource and cause.</summary>
public sealed class PlannerTests
{
    private const string Host = "host-a";

    private static readonly NetworkSpec Backend = Network("shop", "backend");
    private static readonly VolumeSpec DbData = Volume("shop", "db-data");
    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), replicas: 2).OnNetwork(Backend, "shop-web");
    private static readonly ServiceSpec Db = Service("shop", "db", Container()).OnNetwork(Backend).WithVolume(DbData, "/data");
    private static readonly ServiceSpec Worker = Service("shop", "worker", Container(), 1,
        new ServiceDependency("db", DependencyCondition.ServiceStarted, false, true),
        new ServiceDependency("web", DependencyCondition.ServiceHealthy, false, true)).OnNetwork(Backend);

    private static DesiredState Shop(params ServiceSpec[] services) =>
        Desired(Host, Stack("shop", services, [Backend], [DbData]));

    private static string PlanText(DesiredState desired, ObservedState observed, AppliedState? applied = null, DriftMode driftMode = DriftMode.Repair) =>
        Planner.Create(desired, observed, applied ?? AppliedState.Empty(Host), driftMode).ToString();

    [Fact]
    public void Plan_FreshHost_CreatesNetworksVolumesThenServicesInDependencyOrder()
    {
        var text = PlanText(Shop(Db, Web, Worker), TestObserved.State([]));

        Assert.Equal(
            """
            plan for host host-a: 7 changes
              create network shop_backend: missing
              create volume shop_db-data: missing
              create container shop-db-1 (shop/db #1): missing
              create container shop-web-1 (shop/web #1): missing
              create container shop-web-2 (shop/web #2): missing
              wait until shop/web is healthy: shop/worker depends on it (service_healthy)
              create container shop-worker-1 (shop/worker #1): missing

            """, text);
    }

    [Fact]
    public void Plan_EverythingMatches_HasNoChanges()
    {
        var desired = Shop(Db, Web, Worker);

        var plan = Planner.Create(desired, TestObserved.Matching(desired), TestObserved.Applied(Host, Db, Web, Worker));

        Assert.False(plan.HasChanges);
        Assert.Equal("plan for host host-a: no changes\n", plan.ToString());
    }

    [Fact]
    public void Plan_EnvironmentChanged_ReplacesEveryReplicaStartFirstNamingTheField()
    {
        var before = Shop(Web);
        var changed = Web.WithEnvironment("GREETING", "hi");

        var text = PlanText(Shop(changed), TestObserved.Matching(before), TestObserved.Applied(Host, Web));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              replace container shop-web-1 (shop/web #1, start-first): config changed: environment
              replace container shop-web-2 (shop/web #2, start-first): config changed: environment

            """, text);
    }

    [Fact]
    public void Plan_ReplicaWithAnonymousVolumes_ReplacesItStopFirstAndSaysWhy()
    {
        // Start-first is the service's order, but replica 1 mounts anonymous volumes its replacement
        // takes over: two containers on one data directory must never run, and the plan says so.
        var before = Shop(Web);
        var changed = Web.WithEnvironment("GREETING", "hi");
        var observed = TestObserved.Matching(before);
        observed = observed with
        {
            Containers = [.. observed.Containers.Select(container => container.Replica == 1
                ? container with { AnonymousVolumePaths = ["/cache", "/var/lib/data"] }
                : container)],
        };

        var text = PlanText(Shop(changed), observed, TestObserved.Applied(Host, Web));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              replace container shop-web-1 (shop/web #1, stop-first: its anonymous volumes /cache, /var/lib/data pass to the replacement): config changed: environment
              replace container shop-web-2 (shop/web #2, start-first): config changed: environment

            """, text);
    }

    [Fact]
    public void Plan_ImageTagMovedToAnotherId_ReplacesWithImageChanged()
    {
        var desired = Shop(Web);
        var observed = TestObserved.Matching(desired) with
        {
            ImageIds = TestObserved.Matching(desired).ImageIds.SetItem(Image, "sha256:newer"),
        };

        var text = PlanText(desired, observed, TestObserved.Applied(Host, Web));

        // Both ids, short as `docker images` shows them: which image goes, which comes.
        Assert.Contains("replace container shop-web-1 (shop/web #1, start-first): image changed: image1 \u2192 newer", text, StringComparison.Ordinal);
        Assert.Contains("replace container shop-web-2 (shop/web #2, start-first): image changed: image1 \u2192 newer", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_ScaleUpAndDown_TouchesOnlyTheDifference()
    {
        var three = Web with { Replicas = 3 };
        var up = PlanText(Shop(three), TestObserved.Matching(Shop(Web)), TestObserved.Applied(Host, Web));
        var down = PlanText(Shop(Web with { Replicas = 1 }), TestObserved.Matching(Shop(three)), TestObserved.Applied(Host, three));

        Assert.Equal(
            """
            plan for host host-a: 1 change
              create container shop-web-3 (shop/web #3): missing

            """, up);
        Assert.Equal(
            """
            plan for host host-a: 2 changes
              remove container shop-web-3: scale 3 -> 1
              remove container shop-web-2: scale 3 -> 1

            """, down);
    }

    [Fact]
    public void Plan_ServiceAndNetworkLeftTheSpec_RemovesThemAndKeepsTheVolume()
    {
        var webAlone = Service("shop", "web", WebContainer(), replicas: 2);
        var after = Desired(Host, Stack("shop", [webAlone]));
        var before = TestObserved.Matching(Shop(Db));
        var observed = before with { Containers = [.. before.Containers, .. TestObserved.Matching(after).Containers] };

        var text = PlanText(after, observed, TestObserved.Applied(Host, webAlone));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              remove container shop-db-1: removed from spec
              remove network shop_backend: removed from spec
              note: shop_db-data: orphaned volume kept: it left the spec, and berth never removes data implicitly (settings.prune_volumes: true removes it)

            """, text);
    }

    [Fact]
    public void Plan_PruneVolumesAllowed_RemovesTheOrphanedVolume()
    {
        var desired = Desired(Host) with { Settings = new RepositorySettings(AllowEmptyState: true, PruneVolumes: true) };
        var observed = TestObserved.State([], volumes: [new ObservedVolume("shop_db-data", "shop", "db-data")]);

        Assert.Equal(
            """
            plan for host host-a: 1 change
              remove volume shop_db-data: removed from spec (settings.prune_volumes)

            """, PlanText(desired, observed));
    }

    [Fact]
    public void Plan_HostNowMatchesOnlyOtherServices_IsRefusedLikeAnEmptyState()
    {
        // A wrong label selector moves the host from the shop stack to another one: every service it
        // runs would go. Refused as a whole, before any step.
        var other = Desired(Host, Stack("blog", [Service("blog", "web", Container())]));

        var text = PlanText(other, TestObserved.Matching(Shop(Db, Web)));

        Assert.Equal(
            """
            plan for host host-a: no changes
              error: the desired state for host host-a keeps none of the 2 service(s) it runs (shop/db, shop/web) and would remove all 3 managed container(s); refusing. Set settings.allow_empty_state: true in berth.yaml if this is intended

            """, text);
    }

    [Fact]
    public void Plan_OneServiceKeptOthersReplaced_IsNotRefused()
    {
        var desired = Shop(Db, Service("shop", "api", Container()));

        var plan = Planner.Create(desired, TestObserved.Matching(Shop(Db, Web)), TestObserved.Applied(Host, Db, Web));

        Assert.False(plan.Refused);
        Assert.Contains(plan.Steps, step => step.Action == "remove container shop-web-1");
    }

    [Fact]
    public void Plan_EmptyDesiredStateWithManagedContainers_IsRefusedWithoutSteps()
    {
        var text = PlanText(Desired(Host), TestObserved.Matching(Shop(Web)));

        Assert.Equal(
            """
            plan for host host-a: no changes
              error: the desired state for host host-a has no services and would remove all 2 managed container(s); refusing. Set settings.allow_empty_state: true in berth.yaml if this is intended

            """, text);
    }

    [Fact]
    public void Plan_EmptyDesiredStateAllowed_RemovesEverything()
    {
        var desired = Desired(Host) with { Settings = new RepositorySettings(AllowEmptyState: true) };

        var text = PlanText(desired, TestObserved.Matching(Shop(Web)));

        Assert.Equal(
            """
            plan for host host-a: 3 changes
              remove container shop-web-1: removed from spec
              remove container shop-web-2: removed from spec
              remove network shop_backend: removed from spec
              note: shop_db-data: orphaned volume kept: it left the spec, and berth never removes data implicitly (settings.prune_volumes: true removes it)

            """, text);
    }

    [Fact]
    public void Plan_NameTakenByUnmanagedContainer_HoldsTheServiceBackAndTouchesNothing()
    {
        var single = Web with { Replicas = 1 };
        var observed = TestObserved.State([], foreignContainerNames: ["shop-web-1"]);

        Assert.Equal(
            """
            plan for host host-a: no changes
              error: shop/web: container name shop-web-1 is taken by a container berth does not own; berth leaves it alone. Remove or rename it, or set container_name

            """, PlanText(Desired(Host, Stack("shop", [single])), observed));
    }

    [Fact]
    public void Plan_ContainerStoppedByHand_StartsItAgain()
    {
        var desired = Shop(Web);
        var observed = TestObserved.Matching(desired);
        observed = observed with
        {
            Containers = [observed.Containers[0] with { State = ContainerRunState.Exited, ExitCode = 137, Health = ContainerHealth.None }, observed.Containers[1]],
        };

        Assert.Equal(
            """
            plan for host host-a: 1 change
              start container shop-web-1: not running (exited with code 137)

            """, PlanText(desired, observed, TestObserved.Applied(Host, Web)));
    }

    [Fact]
    public void Plan_ContainerRemovedByHand_IsRecreated()
    {
        var desired = Shop(Web);
        var observed = TestObserved.Matching(desired);
        observed = observed with { Containers = [observed.Containers[1]] };

        Assert.Equal(
            """
            plan for host host-a: 1 change
              create container shop-web-1 (shop/web #1): removed outside berth

            """, PlanText(desired, observed, TestObserved.Applied(Host, Web)));
    }

    [Fact]
    public void Plan_ContainerRecreatedByHandWithCopiedLabels_IsReplaced()
    {
        var desired = Shop(Web);
        var observed = TestObserved.Matching(desired);
        observed = observed with { Containers = [observed.Containers[0] with { Id = "someone-elses-id" }, observed.Containers[1]] };

        Assert.Equal(
            """
            plan for host host-a: 1 change
              replace container shop-web-1 (shop/web #1, start-first): re-created outside berth

            """, PlanText(desired, observed, TestObserved.Applied(Host, Web)));
    }

    [Fact]
    public void Plan_WarnOnlyDrift_ReportsButDoesNotRepair()
    {
        var desired = Shop(Web);
        var observed = TestObserved.Matching(desired);
        observed = observed with
        {
            Containers = [observed.Containers[0] with { State = ContainerRunState.Exited, ExitCode = 0 }],
        };

        Assert.Equal(
            """
            plan for host host-a: no changes
              note: shop-web-1: drift: not running (exited with code 0) (warn-only mode: not repaired)
              note: shop-web-2: drift: removed outside berth (warn-only mode: not repaired)

            """, PlanText(desired, observed, TestObserved.Applied(Host, Web), DriftMode.Warn));
    }

    [Fact]
    public void Plan_DependencyOrder_WaitsForHealthyDependencyBeforeTheDependent()
    {
        var changedWorker = Worker.WithEnvironment("MODE", "fast");
        var desired = Shop(Db, Web, changedWorker);
        var observed = TestObserved.Matching(Shop(Db, Web, Worker));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              wait until shop/web is healthy: shop/worker depends on it (service_healthy)
              replace container shop-worker-1 (shop/worker #1, start-first): config changed: environment

            """, PlanText(desired, observed, TestObserved.Applied(Host, Db, Web, Worker)));
    }

    [Fact]
    public void Plan_SingleReplicaWithNamedVolume_ReplacesStopFirst()
    {
        var changed = Db.WithEnvironment("X", "1");

        var text = PlanText(Shop(changed), TestObserved.Matching(Shop(Db)), TestObserved.Applied(Host, Db));

        Assert.Contains("replace container shop-db-1 (shop/db #1, stop-first): config changed: environment", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_UnprovenReplacementLeftByACrash_IsRemovedAndTheReplicaReplacedAgain()
    {
        var changed = Web.WithEnvironment("GREETING", "hi") with { Replicas = 1 };
        var single = Web with { Replicas = 1 };
        var observed = TestObserved.Matching(Shop(single));
        var leftover = TestObserved.Running(changed, 1, "leftover-id") with
        {
            Name = ContainerNames.ReplacementFor("shop-web-1", changed.ConfigHash),
            ReplacementOf = "shop-web-1",
            Health = ContainerHealth.Starting,
        };
        observed = observed with { Containers = [.. observed.Containers, leftover] };

        Assert.Equal(
            $"""
            plan for host host-a: 2 changes
              remove container {leftover.Name}: unproven replacement left by an interrupted rollout
              replace container shop-web-1 (shop/web #1, start-first): config changed: environment

            """, PlanText(Shop(changed), observed, TestObserved.Applied(Host, single)));
    }

    [Fact]
    public void Plan_ProvenReplacementWhoseOldContainerIsGone_IsFinishedByRenaming()
    {
        var changed = Web.WithEnvironment("GREETING", "hi") with { Replicas = 1 };
        var leftover = TestObserved.Running(changed, 1, "new-id") with
        {
            Name = ContainerNames.ReplacementFor("shop-web-1", changed.ConfigHash),
            ReplacementOf = "shop-web-1",
        };

        Assert.Equal(
            $"""
            plan for host host-a: 1 change
              rename container {leftover.Name} to shop-web-1: finish the replacement an interrupted rollout left

            """, PlanText(Shop(changed), TestObserved.State([leftover], [new ObservedNetwork("n", "shop_backend", "shop", "backend")], [new ObservedVolume("shop_db-data", "shop", "db-data")])));
    }

    [Fact]
    public void Plan_ReplicaCountAndRolloutPolicy_DoNotChangeTheConfigHash()
    {
        var scaled = Web with { Replicas = 5, Update = Web.Update with { Parallelism = 2, Order = UpdateOrder.StopFirst } };

        Assert.Equal(Web.ConfigHash, scaled.ConfigHash);
        Assert.NotEqual(Web.ConfigHash, Web.WithEnvironment("A", "b").ConfigHash);
    }

    [Fact]
    public void Plan_IsDeterministic_ForTheSameInputs()
    {
        var desired = Shop(Worker, Web, Db);

        var first = PlanText(desired, TestObserved.State([]));
        var second = PlanText(desired, TestObserved.State([]));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Plan_ExternalNetworkAnotherStackCreatesInThisPlan_IsCreatedFirstAndTheServiceIsNotHeldBack()
    {
        // The reverse proxy stack creates "edge"; the app stack (sorted first) uses it as external.
        var edge = Network("proxy", "edge") with { EngineName = "edge" };
        var edgeExternal = new NetworkSpec("edge", "edge", External: true, "bridge", NoEntries, NoEntries, Internal: false);
        var proxy = Service("proxy", "traefik", Container()).OnNetwork(edge);
        var app = Service("app", "web", Container()).OnNetwork(edgeExternal);
        var desired = Desired(Host, Stack("proxy", [proxy], [edge]), Stack("app", [app], [edgeExternal]));

        var text = PlanText(desired, TestObserved.State([]));

        Assert.Equal(
            """
            plan for host host-a: 3 changes
              create network edge: missing
              create container app-web-1 (app/web #1): missing
              create container proxy-traefik-1 (proxy/traefik #1): missing

            """, text);
    }

    [Fact]
    public void Plan_ExternalVolumeAnotherStackCreatesInThisPlan_IsNotMissing()
    {
        var shared = Volume("backup", "archive") with { EngineName = "archive" };
        var sharedExternal = new VolumeSpec("archive", "archive", External: true, "local", NoEntries, NoEntries);
        var desired = Desired(Host,
            Stack("backup", [Service("backup", "agent", Container()).WithVolume(shared, "/archive")], volumes: [shared]),
            Stack("app", [Service("app", "db", Container()).WithVolume(sharedExternal, "/archive")], volumes: [sharedExternal]));

        var plan = Planner.Create(desired, TestObserved.State([]), AppliedState.Empty(Host));

        Assert.Empty(plan.Problems);
        Assert.Equal(["create volume archive", "create container app-db-1 (app/db #1)", "create container backup-agent-1 (backup/agent #1)"], plan.Steps.Select(step => step.Action));
    }

    [Fact]
    public void Plan_ExternalNetworkWhoseCreatingStackIsBlocked_HoldsBackItsUsersToo()
    {
        var edge = Network("proxy", "edge") with { EngineName = "edge" };
        var edgeExternal = new NetworkSpec("edge", "edge", External: true, "bridge", NoEntries, NoEntries, Internal: false);
        var desired = Desired(Host,
            Stack("proxy", [Service("proxy", "traefik", Container()).OnNetwork(edge)], [edge]),
            Stack("app", [Service("app", "web", Container()).OnNetwork(edgeExternal)], [edgeExternal]));
        var observed = TestObserved.State([]) with { ForeignNetworkNames = ["edge"] };

        var plan = Planner.Create(desired, observed, AppliedState.Empty(Host));

        Assert.Empty(plan.Steps);
        Assert.Equal(["app/web", "proxy/edge", "proxy/traefik"], plan.Problems.Select(problem => problem.QualifiedService!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Plan_ExternalNetworkNobodyCreates_IsStillAProblem()
    {
        var edgeExternal = new NetworkSpec("edge", "edge", External: true, "bridge", NoEntries, NoEntries, Internal: false);
        var desired = Desired(Host, Stack("app", [Service("app", "web", Container()).OnNetwork(edgeExternal)], [edgeExternal]));

        var text = PlanText(desired, TestObserved.State([]));

        Assert.Equal(
            """
            plan for host host-a: no changes
              error: app/edge: external network edge does not exist
              error: app/web: held back: it uses edge, which berth cannot use as the spec asks (see the problem reported for it)

            """, text);
    }
}
