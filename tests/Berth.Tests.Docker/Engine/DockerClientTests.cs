using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Berth.Tests.Engine;

/// <summary>The Docker.DotNet.Enhanced client works against the real engine without a pinned API version.</summary>
public sealed class DockerClientTests
{
    [Fact]
    public async Task Client_UnversionedRequests_AreAnsweredByTheEngine()
    {
        await using var scope = new DockerTestScope();

        var version = await scope.Client.System.GetVersionAsync();

        Assert.False(string.IsNullOrEmpty(version.APIVersion));
        Assert.False(string.IsNullOrEmpty(version.Version));
    }

    [Fact]
    public async Task Container_CreateStartInspectRemove_RoundTripsThroughTheEngine()
    {
        await using var scope = new DockerTestScope();
        var name = $"berth-{scope.ScopeId}-probe";

        var created = await scope.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = TestImages.BusyboxV1,
            Cmd = ["sleep", "300"],
            Labels = scope.Labels,
            HostConfig = new HostConfig { Init = true },
        });
        Assert.True(await scope.Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters()));

        var inspected = await scope.Client.Containers.InspectContainerAsync(created.ID);
        Assert.Equal("/" + name, inspected.Name);
        Assert.True(inspected.State?.Running);
        Assert.Equal(scope.ScopeId, inspected.Config?.Labels[DockerTestScope.TestRunLabel]);

        await scope.Client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true });
        var remaining = await scope.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } },
        });
        Assert.Empty(remaining);
    }
}
