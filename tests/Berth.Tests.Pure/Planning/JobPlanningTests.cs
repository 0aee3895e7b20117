using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>One-shot jobs (depends_on service_completed_successfully): the whole printed plan and its graph.</summary>
public sealed class JobPlanningTests
{
    private const string Host = "host-a";

    private static readonly ServiceSpec Migrate = Service("shop", "migrate", Container(Image, "sh", "-c", "echo migrated")) with { Job = true };
    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), 1,
        new ServiceDependency("migrate", DependencyCondition.ServiceCompletedSuccessfully, false, true));

    private static DesiredState Shop(params ServiceSpec[] services) => Desired(Host, Stack("shop", services));

    private static ObservedContainer Exited(ServiceSpec service, int exitCode) =>
        TestObserved.Running(service, 1) with { State = ContainerRunState.Exited, ExitCode = exitCode, Health = ContainerHealth.None };

    private static Plan PlanFor(DesiredState desired, params ObservedContainer[] containers) =>
        Planner.Create(desired, TestObserved.State(containers), TestObserved.Applied(Host, [.. desired.AllServices]));

    [Fact]
    public void Plan_FreshHost_RunsTheJobBeforeItsDependantAndTheDependantWaitsForIt()
    {
        var plan = Planner.Create(Shop(Migrate, Web), TestObserved.State([]), AppliedState.Empty(Host));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              run job shop-migrate-1 (exit 0 required before shop/web): not run yet
              create container shop-web-1 (shop/web #1): missing

            """, plan.ToString());
        Assert.Equal([1], plan.Nodes[1].After.ToArray());
    }

    [Fact]
    public void Plan_JobExitedZeroWithItsDefinition_IsConvergedNotDrift()
    {
        var desired = Shop(Migrate, Web);

        var plan = PlanFor(desired, Exited(Migrate, 0), TestObserved.Running(Web, 1));

        Assert.Equal("plan for host host-a: no changes\n", plan.ToString());
    }

    [Fact]
    public void Plan_JobExitedZero_WarnOnlyDrift_HasNoNotice()
    {
        var desired = Shop(Migrate, Web);

        var plan = Planner.Create(desired, TestObserved.State([Exited(Migrate, 0), TestObserved.Running(Web, 1)]), TestObserved.Applied(Host, Migrate, Web), DriftMode.Warn);

        Assert.Equal("plan for host host-a: no changes\n", plan.ToString());
    }

    [Fact]
    public void Plan_JobDefinitionChanged_RunsItAgain_ThenTheChangedDependantFollows()
    {
        var changedJob = Migrate.WithEnvironment("VERSION", "2");
        var changedWeb = Web.WithEnvironment("VERSION", "2");

        var plan = PlanFor(Shop(changedJob, changedWeb), Exited(Migrate, 0), TestObserved.Running(Web, 1));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              run job shop-migrate-1 (exit 0 required before shop/web): definition changed
              replace container shop-web-1 (shop/web #1, start-first): config changed

            """, plan.ToString());
        Assert.Equal([1], plan.Nodes[1].After.ToArray());
    }

    [Fact]
    public void Plan_JobFailedInAnEarlierRun_IsRunAgain_WhichTheFailedRevisionHoldKeepsFromLooping()
    {
        var plan = PlanFor(Shop(Migrate, Web), Exited(Migrate, 3), TestObserved.Running(Web, 1));

        Assert.Equal(
            """
            plan for host host-a: 1 change
              run job shop-migrate-1 (exit 0 required before shop/web): exited with code 3 in an earlier run; run again for this revision

            """, plan.ToString());
    }

    [Fact]
    public void Plan_JobStillRunningFromAnEarlierPass_IsWaitedForNotStartedAgain()
    {
        var plan = PlanFor(Shop(Migrate, Web), TestObserved.Running(Migrate, 1));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              wait for job shop-migrate-1 (exit 0 required before shop/web): still running (started by an earlier pass)
              create container shop-web-1 (shop/web #1): removed outside berth

            """, plan.ToString());
    }

    [Fact]
    public void Plan_JobRunsAgain_RestartsADependantThatAskedForIt()
    {
        var web = Web with { DependsOn = [new ServiceDependency("migrate", DependencyCondition.ServiceCompletedSuccessfully, Restart: true, Required: true)] };
        var changedJob = Migrate.WithEnvironment("VERSION", "2");

        var plan = PlanFor(Shop(changedJob, web), Exited(Migrate, 0), TestObserved.Running(web, 1));

        Assert.Equal(
            """
            plan for host host-a: 2 changes
              run job shop-migrate-1 (exit 0 required before shop/web): definition changed
              restart container shop-web-1: shop/migrate is updated in this plan (depends_on restart: true)

            """, plan.ToString());
    }
}
