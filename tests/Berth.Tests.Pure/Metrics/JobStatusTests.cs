using Berth.Reconciler.Execution;
using Berth.Reconciler.Health;
using Berth.Reconciler.Metrics;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Metrics;

/// <summary>A one-shot job's status and health, and what its failure does to its dependants' rollouts.</summary>
public sealed class JobStatusTests
{
    private static readonly ServiceSpec Migrate = Service("shop", "migrate", Container()) with { Job = true };
    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), 1,
        new ServiceDependency("migrate", DependencyCondition.ServiceCompletedSuccessfully, false, true));

    private static ObservedContainer Exited(int exitCode) =>
        TestObserved.Running(Migrate, 1) with { State = ContainerRunState.Exited, ExitCode = exitCode, Health = ContainerHealth.None };

    private static ServiceReplicaStatus StatusOf(params ObservedContainer[] containers) =>
        Assert.Single(ServiceReplicaStatus.From(Desired("host-a", Stack("shop", [Migrate])), TestObserved.State(containers)));

    [Fact]
    public void From_JobExitedZero_IsHealthyAndNotDegraded()
    {
        var status = StatusOf(Exited(0));

        Assert.True(status.Healthy);
        Assert.Equal(0, status.RunningReplicas);
        Assert.False(status.Degraded);
    }

    [Fact]
    public void From_JobExitedNonZero_IsNotHealthy() => Assert.True(StatusOf(Exited(3)).Degraded);

    [Fact]
    public void From_JobStillRunning_IsNotHealthyYet() => Assert.False(StatusOf(TestObserved.Running(Migrate, 1)).Healthy);

    [Fact]
    public void DependantBlock_JobFailed_FailsTheDependantWithTheJobsEvidence_HeldLikeTheJob()
    {
        var evidence = new GateEvidence("shop-migrate-1", "job exited with code 3", 3, null, "relation users is locked");
        var job = new ServiceOutcome("shop/migrate", RolloutResult.Failed, "job failed: job exited with code 3", evidence);
        PlanStep create = new CreateContainerStep(Web, 1, "shop-web-1", "missing");

        var blocked = DependantBlock.Check([create], [job]);

        Assert.NotNull(blocked);
        Assert.Equal(("shop/web", RolloutResult.Failed, FailureKind.Unhealthy), (blocked.QualifiedService, blocked.Result, blocked.Failure));
        Assert.Same(evidence, blocked.Evidence);
        Assert.Equal("held back: job shop/migrate did not complete successfully (job exited with code 3); the running containers are kept", blocked.Message);
    }

    [Fact]
    public void DependantBlock_JobSucceededOrNotRequired_DoesNotBlock()
    {
        var failed = new ServiceOutcome("shop/migrate", RolloutResult.Failed, "job failed", null);
        var optional = Web with { DependsOn = [new ServiceDependency("migrate", DependencyCondition.ServiceCompletedSuccessfully, false, Required: false)] };

        Assert.Null(DependantBlock.Check([new CreateContainerStep(Web, 1, "shop-web-1", "missing")], [new ServiceOutcome("shop/migrate", RolloutResult.Succeeded, "exited 0", null)]));
        Assert.Null(DependantBlock.Check([new CreateContainerStep(optional, 1, "shop-web-1", "missing")], [failed]));
    }
}
