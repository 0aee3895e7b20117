using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;

namespace Berth.Tests.Engine;

/// <summary>
/// The status texts of the engine's container list, as Docker 20.10 writes them (moby's
/// container.State.String(); unchanged through 29): berth reads health and exit code from them instead
/// of inspecting every container.
/// </summary>
public sealed class ContainerListingTests
{
    [Theory]
    [InlineData("Up 30 seconds (healthy)", ContainerHealth.Healthy)]
    [InlineData("Up 6 seconds (health: starting)", ContainerHealth.Starting)]
    [InlineData("Up About a minute (unhealthy)", ContainerHealth.Unhealthy)]
    [InlineData("Up 2 hours", ContainerHealth.None)]
    [InlineData("Up 5 minutes (Paused)", ContainerHealth.None)]
    [InlineData("Exited (0) 4 seconds ago", ContainerHealth.None)]
    [InlineData("Restarting (1) 2 seconds ago", ContainerHealth.None)]
    [InlineData("Created", ContainerHealth.None)]
    [InlineData("Removal In Progress", ContainerHealth.None)]
    [InlineData("", ContainerHealth.None)]
    [InlineData(null, ContainerHealth.None)]
    public void Health_StatusText_IsTheHealthTheTextNames(string? status, ContainerHealth expected) =>
        Assert.Equal(expected, ContainerListing.Health(status));

    [Theory]
    [InlineData("Exited (0) 4 seconds ago", 0)]
    [InlineData("Exited (137) About a minute ago", 137)]
    [InlineData("Exited (-1) 2 days ago", -1)]
    [InlineData("Up 30 seconds (healthy)", null)]
    [InlineData("Restarting (1) 2 seconds ago", null)]
    [InlineData("Created", null)]
    [InlineData("Dead", null)]
    [InlineData(null, null)]
    public void ExitCode_StatusText_IsTheCodeOfAnExitedContainerOnly(string? status, int? expected) =>
        Assert.Equal(expected, ContainerListing.ExitCode(status));
}
