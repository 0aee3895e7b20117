using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Docker.DotNet.Models;

namespace Berth.Tests.Engine;

/// <summary>The engine's event stream in berth's records, over a stub client that replays recorded events.</summary>
public sealed class DockerEngineEventsTests
{
    private static Message ContainerEvent(string action, string id, params (string Key, string Value)[] attributes) => new()
    {
        Type = "container",
        Action = action,
        Actor = new Actor { ID = id, Attributes = attributes.ToDictionary(pair => pair.Key, pair => pair.Value) },
        Time = 1764850000,
        TimeNano = 1764850000_123456789,
    };

    private static DockerEngineEvents Replaying(IReadOnlyList<Message> messages, Exception? thenFail, List<ContainerEventsParameters>? requests = null) =>
        new(StubDockerClient.Create((name, args) =>
        {
            Assert.Equal("System.MonitorEventsAsync", name);
            requests?.Add((ContainerEventsParameters)args[0]!);
            var progress = args.OfType<IProgress<Message>>().Single();
            foreach (var message in messages)
            {
                progress.Report(message);
            }

            return thenFail is null ? Task.CompletedTask : throw thenFail;
        }));

    private static async Task<List<EngineEvent>> ReadAllAsync(IAsyncEnumerable<EngineEvent> stream)
    {
        var events = new List<EngineEvent>();
        await foreach (var engineEvent in stream)
        {
            events.Add(engineEvent);
        }

        return events;
    }

    [Fact]
    public async Task Stream_ContainerAndNetworkEvents_AreBerthRecordsWithTheirContainer()
    {
        var events = Replaying(
        [
            ContainerEvent("start", "c1", ("name", "shop-web-1"), (BerthLabels.Service, "web")),
            ContainerEvent("health_status: unhealthy", "c1", ("name", "shop-web-1")),
            ContainerEvent("rename", "c1", ("name", "shop-web-1"), ("oldName", "/shop-web-1-new")),
            new Message { Type = "network", Action = "disconnect", Actor = new Actor { ID = "n1", Attributes = new Dictionary<string, string> { ["container"] = "c1", ["name"] = "shop_default", ["type"] = "bridge" } } },
            new Message { Type = "container", Action = "die" }, // no actor: dropped
        ], thenFail: null);

        var received = await ReadAllAsync(events.StreamAsync(new EngineEventFilter([], [], []), null, CancellationToken.None));

        Assert.Equal(
            ["Container start c1 shop-web-1 -", "Container health_status c1 shop-web-1 Unhealthy", "Container rename c1 shop-web-1 -", "Network disconnect c1 shop_default -"],
            received.Select(e => $"{e.Type} {e.Action} {e.ContainerId} {e.Name} {e.Health?.ToString() ?? "-"}"));
        Assert.Equal("web", received[0].Attribute(BerthLabels.Service));
        Assert.Equal(new DateTimeOffset(2025, 12, 4, 12, 6, 40, TimeSpan.Zero).AddTicks(1234567), received[0].Time);
    }

    [Fact]
    public async Task Stream_Filter_GoesToTheEngineAsItsFilters()
    {
        var requests = new List<ContainerEventsParameters>();
        var events = Replaying([], thenFail: null, requests);
        var filter = new EngineEventFilter(
            [EngineObjectType.Container, EngineObjectType.Network],
            [EngineEventActions.HealthStatus, EngineEventActions.Die, EngineEventActions.Connect],
            ["berth.managed-by=berth"]);

        await ReadAllAsync(events.StreamAsync(filter, DateTimeOffset.FromUnixTimeSeconds(1764850000), CancellationToken.None));

        var request = Assert.Single(requests);
        Assert.Equal("1764850000", request.Since);
        Assert.Equal(["container", "network"], request.Filters!["type"].Keys.Order());
        Assert.Equal(["connect", "die", "health_status"], request.Filters!["event"].Keys.Order());
        Assert.Equal(["berth.managed-by=berth"], request.Filters!["label"].Keys);
    }

    [Fact]
    public void ManagedContainers_AsksForThisHostsContainersOnly()
    {
        var filter = EngineEventFilter.ManagedContainers("host-a", EngineEventActions.Start);

        Assert.Equal([EngineObjectType.Container], filter.Types.ToArray());
        Assert.Equal([EngineEventActions.Start], filter.Actions.ToArray());
        Assert.Equal([$"{BerthLabels.ManagedBy}={BerthLabels.ManagedByValue}", $"{BerthLabels.Host}=host-a"], filter.Labels.ToArray());
    }

    [Fact]
    public async Task Stream_Breaks_DeliversWhatCameThenThrowsATransientEngineException()
    {
        var events = Replaying([ContainerEvent("start", "c1")], new IOException("The response ended prematurely."));
        var received = new List<EngineEvent>();

        var error = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            await foreach (var engineEvent in events.StreamAsync(new EngineEventFilter([], [], []), null, CancellationToken.None))
            {
                received.Add(engineEvent);
            }
        });

        Assert.True(error.IsTransient);
        Assert.Single(received);
    }

    [Fact]
    public async Task Stream_ConsumerCancels_EndsWithACancellationAndStopsTheRequest()
    {
        var requestCancelled = new TaskCompletionSource();
        var events = new DockerEngineEvents(StubDockerClient.Create((_, args) =>
        {
            var token = (CancellationToken)args[2]!;
            ((IProgress<Message>)args[1]!).Report(ContainerEvent("start", "c1"));
            return Task.Delay(Timeout.Infinite, token).ContinueWith(_ => requestCancelled.TrySetResult(), TaskScheduler.Default);
        }));
        using var stop = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in events.StreamAsync(new EngineEventFilter([], [], []), null, stop.Token))
            {
                await stop.CancelAsync();
            }
        });

        await requestCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
