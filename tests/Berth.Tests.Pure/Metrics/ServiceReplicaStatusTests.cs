using Berth.Reconciler.Metrics;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Metrics;

public sealed class ServiceReplicaStatusTests
{
    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), replicas: 2);

    private static ServiceReplicaStatus StatusOf(params ObservedContainer[] containers) =>
        Assert.Single(ServiceReplicaStatus.From(Desired("host-a", Stack("shop", [Web])), TestObserved.State(containers)));

    [Fact]
    public void From_AllReplicasRunningHealthy_IsHealthy() =>
        Assert.Equal(new ServiceReplicaStatus("shop", "web", 2, 2, true), StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2)));

    [Fact]
    public void From_OneReplicaUnhealthy_IsNotHealthy() =>
        Assert.False(StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2) with { Health = ContainerHealth.Unhealthy }).Healthy);

    [Fact]
    public void From_OneReplicaExited_RunningOneNotHealthy() =>
        Assert.Equal(new ServiceReplicaStatus("shop", "web", 2, 1, false),
            StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2) with { State = ContainerRunState.Exited }));

    [Fact]
    public void From_UnprovenReplacementRunning_IsNotCountedAsAReplica()
    {
        var replacement = TestObserved.Running(Web, 1, "next") with { Name = "shop-web-1-next-abc", ReplacementOf = "shop-web-1" };

        Assert.Equal(2, StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2), replacement).RunningReplicas);
    }
}
