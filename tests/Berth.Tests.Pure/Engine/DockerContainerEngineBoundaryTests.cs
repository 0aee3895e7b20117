using System.Net;
using Berth.Daemon.Cli;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Docker.DotNet;
using Docker.DotNet.Models;
using Polly.Retry;

namespace Berth.Tests.Engine;

/// <summary>
/// The engine boundary: what the Docker client throws leaves <see cref="DockerContainerEngine"/> as berth's
/// <see cref="EngineException"/>, classified once, and the CLI and the daemon read "unavailable" from that.
/// </summary>
public sealed class DockerContainerEngineBoundaryTests
{
    private static readonly Uri Endpoint = new("unix:///var/run/docker.sock");

    /// <summary>What Docker.DotNet.Enhanced 4.3.3 throws when its request timeout (60 s in berth) passes: measured.</summary>
    private static TaskCanceledException ClientTimeout() => new("The operation was canceled.", new HttpRequestException("The operation was canceled."));

    [Fact]
    public async Task Inspect_ClientRequestTimesOut_IsATransientEngineFailureThatTheCliCallsUnreachable()
    {
        // Before: the cancellation escaped as it was; EngineErrors did not count it as transient (no
        // TimeoutException inside), and the CLI and the daemon, which listed their own exception types,
        // missed it: `berth apply` ended with a stack trace, the daemon's pass "threw".
        var engine = new DockerContainerEngine(StubDockerClient.Failing(ClientTimeout()));

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.InspectContainerAsync("shop-web-1", CancellationToken.None));

        Assert.True(EngineErrors.IsTransient(error));
        Assert.Null(error.StatusCode);
        Assert.Equal(
            "cannot reach the Docker Engine at unix:///var/run/docker.sock: the engine did not answer in time (the request timed out)",
            CommandContext.EngineFailure(Endpoint, error));
    }

    [Fact]
    public async Task Start_ContainerItselfGone_IsVanishedDrift()
    {
        var engine = new DockerContainerEngine(StubDockerClient.Failing(new DockerContainerNotFoundException(HttpStatusCode.NotFound, "{\"message\":\"No such container: 0123abcd\"}")));

        var error = await Assert.ThrowsAnyAsync<EngineException>(() => engine.StartContainerAsync("0123abcd", CancellationToken.None));

        Assert.True(EngineErrors.IsVanished(error));
    }

    [Fact]
    public async Task Start_NetworkModeContainerMissing_IsARefusalNotDrift()
    {
        // network_mode: container:db-1 where db-1 does not exist: dockerd 20.10 creates the container, and
        // its start answers 404 "No such container: db-1" (checked). Not drift: every pass would retry it.
        var engine = new DockerContainerEngine(StubDockerClient.Failing(new DockerContainerNotFoundException(HttpStatusCode.NotFound, "{\"message\":\"No such container: db-1\"}")));

        var error = await Assert.ThrowsAnyAsync<EngineException>(() => engine.StartContainerAsync("0123abcd", CancellationToken.None));

        Assert.False(EngineErrors.IsVanished(error));
        Assert.False(EngineErrors.IsTransient(error));
        Assert.Contains("refers to one that does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("db-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EngineRefuses409_IsRefusedNotUnavailable()
    {
        // Before: the CLI and the daemon counted any error answer (DockerApiException) as "cannot reach the
        // Docker Engine" / EngineUnavailable, a 4xx refusal included.
        var body = "{\"message\":\"Conflict. The container name \\\"/shop-web-1\\\" is already in use\"}";
        var engine = new DockerContainerEngine(StubDockerClient.Failing(new DockerApiException(HttpStatusCode.Conflict, body)));

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.StartContainerAsync("shop-web-1", CancellationToken.None));

        Assert.False(EngineErrors.IsTransient(error));
        Assert.Equal(EngineFailureKind.Refused, error.Kind);
        Assert.Equal(HttpStatusCode.Conflict, error.StatusCode);
        Assert.Equal(body, error.ResponseBody);
        Assert.Equal(
            $"the Docker Engine at unix:///var/run/docker.sock refused: Docker API responded with status code='Conflict', response='{body}'.",
            CommandContext.EngineFailure(Endpoint, error));
    }

    [Fact]
    public async Task Inspect_EngineUnreachable_IsTransientWithTheSocketsReason()
    {
        var engine = new DockerContainerEngine(StubDockerClient.Failing(
            new HttpRequestException("Connection failed.", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused))));

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.InspectContainerAsync("shop-web-1", CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal("cannot reach the Docker Engine at unix:///var/run/docker.sock: Connection refused", CommandContext.EngineFailure(Endpoint, error));
    }

    [Fact]
    public async Task Remove_NoSuchContainer_IsNotFound()
    {
        var engine = new DockerContainerEngine(StubDockerClient.Failing(new DockerContainerNotFoundException(HttpStatusCode.NotFound, "No such container: x")));

        await Assert.ThrowsAsync<EngineNotFoundException>(() => engine.RemoveContainerAsync("x", CancellationToken.None));
    }

    [Fact]
    public async Task Inspect_CallerCancels_StaysACancellation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var engine = new DockerContainerEngine(StubDockerClient.Failing(new TaskCanceledException()));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.InspectContainerAsync("shop-web-1", cancelled.Token));
    }

    [Fact]
    public async Task Inspect_ClientTimeoutOnce_IsRetriedByTheResilientEngine()
    {
        var calls = 0;
        var client = StubDockerClient.Create((name, _) =>
        {
            Assert.Equal("Containers.InspectContainerAsync", name);
            return ++calls == 1
                ? throw ClientTimeout()
                : Task.FromResult(new ContainerInspectResponse { ID = "abc", Name = "/shop-web-1", State = new Docker.DotNet.Models.State { Status = "running" } });
        });
        var engine = new ResilientContainerEngine(new DockerContainerEngine(client), TimeProvider.System, new RetryStrategyOptions { MaxRetryAttempts = 3, Delay = TimeSpan.Zero });

        var snapshot = await engine.InspectContainerAsync("shop-web-1", CancellationToken.None);

        Assert.Equal("shop-web-1", snapshot.Name);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Observe_FrontRemovedBetweenListAndInspect_IsSkipped()
    {
        var front = Owned((BerthLabels.Role, BerthLabels.FrontRole));
        var client = StubDockerClient.Create((name, _) => name switch
        {
            "Containers.ListContainersAsync" => Task.FromResult<IList<ContainerListResponse>>([new ContainerListResponse { ID = "gone", Names = ["/shop-web-front"], Labels = front }]),
            "Containers.InspectContainerAsync" => throw new DockerContainerNotFoundException(HttpStatusCode.NotFound, "No such container: gone"),
            "Networks.ListNetworksAsync" => Task.FromResult<IList<NetworkResponse>>([]),
            "Volumes.ListAsync" => Task.FromResult(new VolumesListResponse { Volumes = [] }),
            "Images.ListImagesAsync" => Task.FromResult<IList<ImagesListResponse>>([]),
            _ => throw new NotSupportedException(name),
        });

        var observed = await new DockerContainerEngine(client).ObserveAsync("host-a", [], CancellationToken.None);

        Assert.Empty(observed.Fronts);
    }

    [Fact]
    public async Task Observe_Replicas_AreReadFromTheListWithoutAnyInspect()
    {
        // Issue #16: an inspect waits for the container's lock (50 took 38 s under health-check load);
        // the list answers without it. A replica's observation must not cost a request of its own.
        var client = StubDockerClient.Create((name, _) => name switch
        {
            "Containers.ListContainersAsync" => Task.FromResult<IList<ContainerListResponse>>(
            [
                new ContainerListResponse
                {
                    ID = "id-1", Names = ["/shop-web-1"], Labels = Owned((BerthLabels.ConfigHash, "hash-1"), (BerthLabels.Revision, "rev-1")),
                    State = "running", Status = "Up 3 minutes (healthy)", ImageID = "sha256:image",
                    Mounts = [new MountPoint { Type = "volume", Name = new string('a', 64), Destination = "/data" }, new MountPoint { Type = "volume", Name = "shop_named", Destination = "/named" }],
                    NetworkSettings = new NetworkSettingsSummary { Networks = new Dictionary<string, EndpointSettings> { ["shop_default"] = new() { IPAddress = "172.18.0.2" } } },
                },
                new ContainerListResponse
                {
                    ID = "id-2", Names = ["/shop-web-2"], Labels = Owned((BerthLabels.Replica, "2")),
                    State = "exited", Status = "Exited (137) 5 seconds ago", ImageID = "sha256:image",
                },
            ]),
            "Networks.ListNetworksAsync" => Task.FromResult<IList<NetworkResponse>>([]),
            "Volumes.ListAsync" => Task.FromResult(new VolumesListResponse { Volumes = [] }),
            "Images.ListImagesAsync" => Task.FromResult<IList<ImagesListResponse>>([]), // one list for every image, not an inspect per image
            _ => throw new NotSupportedException(name), // an inspect among them
        });

        var observed = await new DockerContainerEngine(client).ObserveAsync("host-a", [], CancellationToken.None);

        Assert.Collection(observed.Containers,
            running =>
            {
                Assert.Equal(("shop-web-1", "shop", "web", 1, "hash-1", "rev-1", "sha256:image"), (running.Name, running.Stack, running.Service, running.Replica, running.ConfigHash, running.Revision, running.ImageId));
                Assert.Equal((ContainerRunState.Running, ContainerHealth.Healthy, (int?)null), (running.State, running.Health, running.ExitCode));
                Assert.Equal("/data", Assert.Single(running.AnonymousVolumePaths));
                Assert.Equal("172.18.0.2", running.Addresses["shop_default"]);
            },
            exited => Assert.Equal((2, ContainerRunState.Exited, ContainerHealth.None, (int?)137), (exited.Replica, exited.State, exited.Health, exited.ExitCode)));
    }

    private static Dictionary<string, string> Owned(params (string Key, string Value)[] extra)
    {
        var labels = new Dictionary<string, string>
        {
            [BerthLabels.ManagedBy] = BerthLabels.ManagedByValue,
            [BerthLabels.Host] = "host-a",
            [BerthLabels.Stack] = "shop",
            [BerthLabels.Service] = "web",
            [BerthLabels.Replica] = "1",
        };
        foreach (var (key, value) in extra)
        {
            labels[key] = value;
        }

        return labels;
    }
}
