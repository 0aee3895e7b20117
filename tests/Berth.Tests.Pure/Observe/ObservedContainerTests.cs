using Berth.Reconciler.Observe;

namespace Berth.Tests.Observe;

/// <summary>The one definition of a settled replica, used by status, metrics, fronts and the planner alike.</summary>
public sealed class ObservedContainerTests
{
    private static ObservedContainer Container(ContainerRunState state, ContainerHealth health, string name = "shop-web-1", string? replacementOf = null) =>
        new("id", name, "shop", "web", 1, "hash", "rev", "sha256:image", state, health, null, replacementOf);

    [Theory]
    [InlineData(ContainerRunState.Running, ContainerHealth.Healthy, true)]
    [InlineData(ContainerRunState.Running, ContainerHealth.None, true)]
    [InlineData(ContainerRunState.Running, ContainerHealth.Starting, false)]
    [InlineData(ContainerRunState.Running, ContainerHealth.Unhealthy, false)]
    [InlineData(ContainerRunState.Exited, ContainerHealth.None, false)]
    [InlineData(ContainerRunState.Restarting, ContainerHealth.Healthy, false)]
    [InlineData(ContainerRunState.Paused, ContainerHealth.Healthy, false)]
    public void IsSettled_RunStateAndHealth_RunningAndHealthyOrWithoutHealthCheck(ContainerRunState state, ContainerHealth health, bool settled) =>
        Assert.Equal(settled, Container(state, health).IsSettled);

    [Theory]
    [InlineData("shop-web-1", null, true)]
    [InlineData("shop-web-1_new", "shop-web-1", false)] // unproven: still under its temporary name
    [InlineData("shop-web-1", "shop-web-1", true)] // finished: carries the canonical name, keeps its label
    public void IsReplica_StartFirstReplacement_OnlyOnceItCarriesTheCanonicalName(string name, string? replacementOf, bool replica) =>
        Assert.Equal(replica, Container(ContainerRunState.Running, ContainerHealth.Healthy, name, replacementOf).IsReplica);
}
