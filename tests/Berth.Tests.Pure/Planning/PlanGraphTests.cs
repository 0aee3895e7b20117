using System.Collections.Immutable;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>
/// The plan as a graph, as `berth plan` prints it: every node with its edges, a replacement with the
/// engine calls it makes and what undoes them. Whole text, so a change in what apply does shows here.
/// </summary>
public sealed class PlanGraphTests
{
    private const string Host = "host-a";
    private static readonly NetworkSpec Backend = Network("shop", "backend");

    private static ObservedFront FrontOf(ServiceSpec service) =>
        new("front-id", $"{service.Stack}-{service.Name}-front", service.Stack, service.Name, FrontDefinition.For(service).Hash, ContainerRunState.Running, 4242, ["shop_backend"], Aliased: true);

    /// <summary>
    /// A rollout behind a front next to a stop-first switch (docs/reconcile.md shows this plan): db has an
    /// anonymous volume, so its replacement runs stop-first and says why; web waits for db to be healthy,
    /// swaps its front's rules replica by replica, and each replica says what undoes it.
    /// </summary>
    [Fact]
    public void Render_FrontSwapAndStopFirstSwitch_ShowsEveryOperationEdgeAndUndo()
    {
        var plan = Planner.Create(ShopV2(), ShopV1Running(), TestObserved.Applied(Host, WebV1, DbV1));

        Assert.Equal(
            """
            plan for host host-a: 4 changes
              #1 replace container shop-db-1 (shop/db #1, stop-first: its anonymous volume /var/lib/data passes to the replacement): config changed: environment
                  1. create shop-db-1-next-b07ae5d2 with the service's names, mounting the anonymous volume(s) /var/lib/data of shop-db-1
                  2. stop shop-db-1 (grace 2s), kept until shop-db-1-next-b07ae5d2 passed
                  3. start shop-db-1-next-b07ae5d2
                  4. health gate shop-db-1-next-b07ae5d2: running for 500ms (healthy, if its image defines a health check)
                  5. remove shop-db-1
                  6. rename shop-db-1-next-b07ae5d2 to shop-db-1
                  if its gate fails: remove shop-db-1-next-b07ae5d2; put the last applied revision's files back (when this pass changed them); start shop-db-1 again
                  if the rollout fails: once replaced, it is put back to the previous config (stop-first: the replaced replica's anonymous volumes pass back), behind the same gates by rollback_config; a failed rollback pauses
              #2 wait until shop/db is healthy: shop/web depends on it (service_healthy)
                  after #1
              #3 replace container shop-web-1 (shop/web #1, start-first): config changed: environment
                  after #1, #2
                  1. create shop-web-1-next-53d5d5f5 without the service's names
                  2. start shop-web-1-next-53d5d5f5
                  3. health gate shop-web-1-next-53d5d5f5: healthy for 500ms
                  4. front: forward new connections to shop-web-1-next-53d5d5f5 instead of shop-web-1
                  5. take shop-web-1 out of the service's names, where it has them
                  6. the rollout goes on with the next replica; the rest runs alongside, and the pass waits for it
                  7. drain (the daemon's drain period)
                  8. stop shop-web-1 (grace 2s)
                  9. remove shop-web-1
                  10. rename shop-web-1-next-53d5d5f5 to shop-web-1
                  if its gate fails: remove shop-web-1-next-53d5d5f5; shop-web-1 kept serving
                  if the rollout fails: once replaced, it is put back to the previous config (start-first), behind the same gates by rollback_config; a failed rollback pauses
              #4 replace container shop-web-2 (shop/web #2, start-first): config changed: environment
                  after #3
                  1. create shop-web-2-next-53d5d5f5 without the service's names
                  2. start shop-web-2-next-53d5d5f5
                  3. health gate shop-web-2-next-53d5d5f5: healthy for 500ms
                  4. front: forward new connections to shop-web-2-next-53d5d5f5 instead of shop-web-2
                  5. take shop-web-2 out of the service's names, where it has them
                  6. the rollout goes on with the next replica; the rest runs alongside, and the pass waits for it
                  7. drain (the daemon's drain period)
                  8. stop shop-web-2 (grace 2s)
                  9. remove shop-web-2
                  10. rename shop-web-2-next-53d5d5f5 to shop-web-2
                  if its gate fails: remove shop-web-2-next-53d5d5f5; shop-web-2 kept serving
                  if the rollout fails: once replaced, it is put back to the previous config (start-first), behind the same gates by rollback_config; a failed rollback pauses

            """, PlanGraphText.Render(plan));
    }

    [Fact]
    public void Render_ResourcesBatchesAndRemovals_EachWaitsForWhatItNeedsOnly()
    {
        var data = Volume("shop", "data");
        var oldNetwork = Network("shop", "old");
        var api = Service("shop", "api", Container("registry.example/api:2")).OnNetwork(Backend).WithVolume(data, "/data");
        var worker = Service("shop", "worker", Container(), replicas: 3);
        var workerV2 = worker.WithEnvironment("VERSION", "2") with { Update = FastUpdate with { Parallelism = 2 } };
        var legacy = Service("shop", "legacy", Container()).OnNetwork(oldNetwork);
        var desired = Desired(Host, Stack("shop", [api, workerV2], [Backend], [data]));
        var observed = TestObserved.Matching(Desired(Host, Stack("shop", [worker, legacy], [oldNetwork])));

        var plan = Planner.Create(desired, observed, TestObserved.Applied(Host, worker, legacy));

        // The worker's first batch (parallelism 2) needs nothing; the third replica waits for both;
        // what left the spec goes after every desired service, and its network after it.
        Assert.Equal(
            """
            plan for host host-a: 9 changes
              #1 pull image registry.example/api:2: not present locally
              #2 create network shop_backend: missing
              #3 create volume shop_data: missing
              #4 create container shop-api-1 (shop/api #1): missing
                  after #1-#3
                  health gate: running for 500ms, or healthy if its image defines a health check
              #5 replace container shop-worker-1 (shop/worker #1, start-first): config changed: environment
                  1. create shop-worker-1-next-bcdd3719 without the service's names
                  2. start shop-worker-1-next-bcdd3719
                  3. health gate shop-worker-1-next-bcdd3719: running for 500ms (healthy, if its image defines a health check)
                  4. give shop-worker-1-next-bcdd3719 the service's names
                  5. take shop-worker-1 out of the service's names, where it has them
                  6. the rollout goes on with the next replica; the rest runs alongside, and the pass waits for it
                  7. drain (the daemon's drain period)
                  8. stop shop-worker-1 (grace 2s)
                  9. remove shop-worker-1
                  10. rename shop-worker-1-next-bcdd3719 to shop-worker-1
                  if its gate fails: remove shop-worker-1-next-bcdd3719; shop-worker-1 kept serving
                  if the rollout fails: once replaced, it is put back to the previous config (start-first), behind the same gates by rollback_config; a failed rollback pauses
              #6 replace container shop-worker-2 (shop/worker #2, start-first): config changed: environment
                  1. create shop-worker-2-next-bcdd3719 without the service's names
                  2. start shop-worker-2-next-bcdd3719
                  3. health gate shop-worker-2-next-bcdd3719: running for 500ms (healthy, if its image defines a health check)
                  4. give shop-worker-2-next-bcdd3719 the service's names
                  5. take shop-worker-2 out of the service's names, where it has them
                  6. the rollout goes on with the next replica; the rest runs alongside, and the pass waits for it
                  7. drain (the daemon's drain period)
                  8. stop shop-worker-2 (grace 2s)
                  9. remove shop-worker-2
                  10. rename shop-worker-2-next-bcdd3719 to shop-worker-2
                  if its gate fails: remove shop-worker-2-next-bcdd3719; shop-worker-2 kept serving
                  if the rollout fails: once replaced, it is put back to the previous config (start-first), behind the same gates by rollback_config; a failed rollback pauses
              #7 replace container shop-worker-3 (shop/worker #3, start-first): config changed: environment
                  after #5, #6
                  1. create shop-worker-3-next-bcdd3719 without the service's names
                  2. start shop-worker-3-next-bcdd3719
                  3. health gate shop-worker-3-next-bcdd3719: running for 500ms (healthy, if its image defines a health check)
                  4. give shop-worker-3-next-bcdd3719 the service's names
                  5. take shop-worker-3 out of the service's names, where it has them
                  6. the rollout goes on with the next replica; the rest runs alongside, and the pass waits for it
                  7. drain (the daemon's drain period)
                  8. stop shop-worker-3 (grace 2s)
                  9. remove shop-worker-3
                  10. rename shop-worker-3-next-bcdd3719 to shop-worker-3
                  if its gate fails: remove shop-worker-3-next-bcdd3719; shop-worker-3 kept serving
                  if the rollout fails: once replaced, it is put back to the previous config (start-first), behind the same gates by rollback_config; a failed rollback pauses
              #8 remove container shop-legacy-1: removed from spec
                  after #4, #7
              #9 remove network shop_old: removed from spec
                  after #4, #7, #8

            """, PlanGraphText.Render(plan));
    }

    [Fact]
    public void Graph_OfAPlanAHoldFiltered_HasNoEdgeToADroppedStep()
    {
        var plan = Planner.Create(ShopV2(), ShopV1Running(), TestObserved.Applied(Host, WebV1, DbV1));
        var failed = new FailedRevision("rev2", "health gate failed", DateTimeOffset.UnixEpoch, ["shop/db"]);

        var (held, _) = Berth.Reconciler.Reconciliation.FailedRevisionHold.Apply(plan, failed);

        // db's replacement (#1) is held: web's wait and its first replacement no longer point at it.
        Assert.Equal(
            [(1, "wait until shop/db is healthy", ""), (2, "replace container shop-web-1 (shop/web #1, start-first)", "#1"), (3, "replace container shop-web-2 (shop/web #2, start-first)", "#2")],
            held.Nodes.Select(node => (node.Id, node.Step.Action, PlanGraphText.Ids(node.After))).ToList());
    }

    [Fact]
    public void DependencyUpdated_DependentWithRestartTrue_IsRestartedAfterItButNotWhenItIsReplacedAnyway()
    {
        var db = Service("shop", "db", Container());
        var dependsOnDb = new ServiceDependency("db", DependencyCondition.ServiceStarted, Restart: true, Required: true);
        var web = Service("shop", "web", Container(), 2, dependsOnDb);
        var api = Service("shop", "api", Container(), 1, dependsOnDb);
        var running = TestObserved.Matching(Desired(Host, Stack("shop", [api, db, web])));

        var plan = Planner.Create(Desired(Host, Stack("shop", [api.WithEnvironment("VERSION", "2"), db.WithEnvironment("VERSION", "2"), web])), running, TestObserved.Applied(Host, api, db, web));

        Assert.Equal(
            """
            plan for host host-a: 4 changes
              replace container shop-db-1 (shop/db #1, start-first): config changed: environment
              replace container shop-api-1 (shop/api #1, start-first): config changed: environment
              restart container shop-web-1: shop/db is updated in this plan (depends_on restart: true)
              restart container shop-web-2: shop/db is updated in this plan (depends_on restart: true)

            """, plan.ToString());
        Assert.Equal(["", "#1", "#1", "#1"], plan.Nodes.Select(node => PlanGraphText.Ids(node.After)).ToList());
        Assert.Equal(
            "  #3 restart container shop-web-1: shop/db is updated in this plan (depends_on restart: true)\n      after #1\n      stop (grace 2s), start, health gate: running for 500ms, or healthy if its image defines a health check\n",
            string.Concat(PlanGraphText.Render(plan).Split('\n').Where(line => line.Length > 0).SkipWhile(line => !line.StartsWith("  #3", StringComparison.Ordinal)).Take(3).Select(line => line + "\n")));
    }

    [Fact]
    public void Hold_OfTheDependency_DropsTheRestartsThatFollowOnlyIt()
    {
        var db = Service("shop", "db", Container());
        var web = Service("shop", "web", Container(), 2, new ServiceDependency("db", DependencyCondition.ServiceStarted, Restart: true, Required: true));
        var running = TestObserved.Matching(Desired(Host, Stack("shop", [db, web])));
        var plan = Planner.Create(Desired(Host, Stack("shop", [db.WithEnvironment("VERSION", "2"), web])), running, TestObserved.Applied(Host, db, web));

        var (held, _) = Berth.Reconciler.Reconciliation.FailedRevisionHold.Apply(plan, new FailedRevision("rev2", "health gate failed", DateTimeOffset.UnixEpoch, ["shop/db"]));

        Assert.Equal(3, plan.Steps.Length);
        Assert.Empty(held.Steps);
    }

    [Fact]
    public void Graph_FrontOfAServiceThatLeftTheSpec_GoesAfterItsContainers()
    {
        var web = Service("shop", "web", WebContainer(), replicas: 2).OnNetwork(Backend, "shop-web").Fronted();
        var api = Service("shop", "api", Container());
        var observed = TestObserved.Matching(Desired(Host, Stack("shop", [api, web], [Backend]))) with { Fronts = [FrontOf(web)] };

        var plan = Planner.Create(Desired(Host, Stack("shop", [api], [Backend])), observed, TestObserved.Applied(Host, api, web));

        Assert.Equal(
            [("remove container shop-web-1", ""), ("remove container shop-web-2", ""), ("remove front shop-web-front", "#1, #2")],
            plan.Nodes.Select(node => (node.Step.Action, PlanGraphText.Ids(node.After))).ToList());
    }

    private static readonly ServiceSpec WebV1 = Service("shop", "web", WebContainer(), replicas: 2).OnNetwork(Backend, "shop-web").Fronted();
    private static readonly ServiceSpec DbV1 = Service("shop", "db", Container()).OnNetwork(Backend);

    private static DesiredState ShopV2() => Desired(Host, Stack(
        "shop",
        [
            Service("shop", "web", WebContainer(), 2, new ServiceDependency("db", DependencyCondition.ServiceHealthy, Restart: false, Required: true))
                .OnNetwork(Backend, "shop-web").Fronted().WithEnvironment("VERSION", "2"),
            DbV1.WithEnvironment("VERSION", "2"),
        ],
        [Backend]));

    /// <summary>Version 1 as berth left it, web's front included; db's container has an anonymous volume (its image's VOLUME).</summary>
    private static ObservedState ShopV1Running()
    {
        var observed = TestObserved.Matching(Desired(Host, Stack("shop", [WebV1, DbV1], [Backend])));
        return observed with
        {
            Fronts = [FrontOf(WebV1)],
            Containers = [.. observed.Containers.Select(container => container.Service == "db" ? container with { AnonymousVolumePaths = ["/var/lib/data"] } : container)],
        };
    }
}
