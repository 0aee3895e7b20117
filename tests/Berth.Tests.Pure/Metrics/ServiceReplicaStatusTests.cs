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
        Assert.Equal(new ServiceReplicaStatus("shop", "web", 2, 2, true) { Image = new("berth-test/busybox:1", TestObserved.ImageId, null) }, StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2)));

    [Fact]
    public void From_OneReplicaUnhealthy_IsNotHealthy() =>
        Assert.False(StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2) with { Health = ContainerHealth.Unhealthy }).Healthy);

    [Fact]
    public void From_OneReplicaExited_RunningOneNotHealthy() =>
        Assert.Equal(new ServiceReplicaStatus("shop", "web", 2, 1, false) { Image = new("berth-test/busybox:1", TestObserved.ImageId, null) },
            StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2) with { State = ContainerRunState.Exited }));

    [Fact]
    public void From_UnprovenReplacementRunning_IsNotCountedAsAReplica()
    {
        var replacement = TestObserved.Running(Web, 1, "next") with { Name = "shop-web-1-next-abc", ReplacementOf = "shop-web-1" };

        Assert.Equal(2, StatusOf(TestObserved.Running(Web, 1), TestObserved.Running(Web, 2), replacement).RunningReplicas);
    }

    [Fact]
    public void From_ImageFromARegistry_CarriesTheDigestOfTheServicesRepository()
    {
        const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var observed = ObservedState.Empty with
        {
            Containers = [TestObserved.Running(Web, 1)],
            Images = [new Berth.Reconciler.Images.ObservedImage(TestObserved.ImageId, ["berth-test/busybox:1"], ["other.example/copy@sha256:ffff", $"berth-test/busybox@{Digest}"])],
        };

        var status = Assert.Single(ServiceReplicaStatus.From(Shared.TestSpecs.Desired("host-a", Shared.TestSpecs.Stack("shop", [Web])), observed));

        Assert.Equal(new Berth.Reconciler.Images.RunningImage("berth-test/busybox:1", TestObserved.ImageId, Digest), status.Image);
    }
}
