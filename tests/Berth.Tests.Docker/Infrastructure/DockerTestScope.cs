using Berth.Reconciler.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// One test's slice of the real Docker Engine: a client, and a unique label that every resource the
/// test creates carries, so disposal removes exactly those (even when the test failed) and nothing else.
/// There is deliberately no "skip when no engine": a test that needs the engine fails without one.
/// </summary>
public sealed class DockerTestScope : IAsyncDisposable
{
    public const string TestRunLabel = "berth.test.scope";

    public DockerTestScope()
    {
        Client = DockerClientFactory.Create(null, TimeSpan.FromSeconds(60));
        ScopeId = "t" + Guid.NewGuid().ToString("N")[..12];
    }

    public IDockerClient Client { get; }

    /// <summary>Unique per test: use it in names and as the value of <see cref="TestRunLabel"/>.</summary>
    public string ScopeId { get; }

    public Dictionary<string, string> Labels => new() { [TestRunLabel] = ScopeId };

    /// <summary>
    /// Volumes the engine named itself that this test's containers used (anonymous volumes carry no
    /// label to find them by): removed after the containers.
    /// </summary>
    public List<string> AnonymousVolumes { get; } = [];

    public async ValueTask DisposeAsync()
    {
        // What the test created directly carries the scope label; what berth created for it carries
        // the scope id as berth's host identity. Both are removed; nothing else is touched.
        await RemoveByLabelAsync($"{TestRunLabel}={ScopeId}");
        await RemoveByLabelAsync($"{BerthLabels.Host}={ScopeId}");
        foreach (var volume in AnonymousVolumes.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await Client.Volumes.RemoveAsync(volume, force: true);
            }
            catch (DockerApiException exception) when (exception.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }
        }

        Client.Dispose();
    }

    /// <summary>Removes the containers, networks and volumes that carry <paramref name="label"/> ("key=value"), containers first.</summary>
    public async Task RemoveByLabelAsync(string label)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var filter = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [label] = true },
        };
        var containers = await Client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = filter }, timeout.Token);
        foreach (var container in containers)
        {
            await Client.Containers.RemoveContainerAsync(
                // RemoveVolumes: the container's own anonymous volumes go with it (named ones never do).
                container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, timeout.Token);
        }

        var networks = await Client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, timeout.Token);
        foreach (var network in networks)
        {
            await Client.Networks.DeleteNetworkAsync(network.ID, timeout.Token);
        }

        var volumes = await Client.Volumes.ListAsync(new VolumesListParameters { Filters = filter }, timeout.Token);
        foreach (var volume in volumes.Volumes ?? [])
        {
            await Client.Volumes.RemoveAsync(volume.Name, force: true, timeout.Token);
        }
    }
}
