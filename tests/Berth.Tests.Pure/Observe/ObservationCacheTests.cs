using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Tests.Reconciliation;
using Microsoft.Extensions.Time.Testing;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Observe;

/// <summary>
/// The daemon's informer over a fake engine and a fake event stream, on a fake clock: when an
/// observation is answered from the cache and when it lists the engine. The real engine's side
/// (requests per idle pass, drift through events, a cut stream) is InformerTests in Berth.Tests.Docker.
/// </summary>
public sealed class ObservationCacheTests
{
    private const string Host = "host-a";

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero));
    private readonly FakeContainerEngine inner = new();
    private readonly List<ObserveSource> sources = [];
    private readonly ObservationCache cache;
    private readonly CachingContainerEngine engine;

    public ObservationCacheTests()
    {
        cache = new ObservationCache(Host, TimeSpan.FromMinutes(10), time);
        engine = new CachingContainerEngine(inner, cache, sources.Add);
    }

    private Task ObserveAsync(params string[] images) => engine.ObserveAsync(Host, images.Length == 0 ? [Image] : images, CancellationToken.None);

    /// <summary>Subscribed, one list made and kept, time enough for it to count as settled.</summary>
    private async Task CachedAsync()
    {
        cache.StreamStarting();
        await ObserveAsync();
        await ObserveAsync();
        Assert.Equal([ObserveSource.Engine, ObserveSource.Cache], sources);
        sources.Clear();
    }

    private static EngineEvent Event(EngineObjectType type, string action, string actorId, params (string Key, string Value)[] attributes) =>
        new(type, action, actorId, null, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            attributes.Select(attribute => new KeyValuePair<string, string>(attribute.Key, attribute.Value))));

    private static EngineEvent BerthContainerEvent(string action, string host = Host) =>
        Event(EngineObjectType.Container, action, "c1", (BerthLabels.ManagedBy, BerthLabels.ManagedByValue), (BerthLabels.Host, host), ("name", "shop-web-1"));

    private static EngineEvent ForeignContainerEvent(string action) => Event(EngineObjectType.Container, action, "other", ("name", "someone-elses"));

    [Fact]
    public async Task Observe_StreamUpAndNoEvent_SecondObservationSendsNothing()
    {
        cache.StreamStarting();

        await ObserveAsync();
        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal(1, inner.ObserveCalls);
        Assert.Equal([ObserveSource.Engine, ObserveSource.Cache, ObserveSource.Cache], sources);
        Assert.Equal((2L, 1L), cache.Counts);
    }

    [Fact]
    public async Task Observe_NoStream_EveryObservationListsTheEngine()
    {
        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal(2, inner.ObserveCalls);
    }

    public static TheoryData<string> BerthContainerActions() =>
        [EngineEventActions.Create, EngineEventActions.Destroy, EngineEventActions.Start, EngineEventActions.Die, EngineEventActions.Stop,
            EngineEventActions.Rename, EngineEventActions.HealthStatus, EngineEventActions.Update, EngineEventActions.Pause];

    [Theory]
    [MemberData(nameof(BerthContainerActions))]
    public async Task OnEvent_BerthContainerOfThisHost_NextObservationListsTheEngine(string action)
    {
        await CachedAsync();

        cache.OnEvent(BerthContainerEvent(action));
        time.Advance(ObservationCache.Settle);
        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine, ObserveSource.Cache], sources);
    }

    public static TheoryData<EngineEvent> Irrelevant() =>
    [
        // Another tool's container living its life: nothing berth lists of it (name, image) changes.
        ForeignContainerEvent(EngineEventActions.Start),
        ForeignContainerEvent(EngineEventActions.Die),
        ForeignContainerEvent(EngineEventActions.HealthStatus),
        // Another host identity's replica turning unhealthy on the same engine.
        BerthContainerEvent(EngineEventActions.HealthStatus, host: "host-b"),
        // A foreign container joining a foreign network.
        Event(EngineObjectType.Network, EngineEventActions.Connect, "foreign-network", ("container", "other"), ("name", "their-net")),
    ];

    [Theory]
    [MemberData(nameof(Irrelevant))]
    public async Task OnEvent_NothingAnObservationShows_CacheStillAnswers(EngineEvent engineEvent)
    {
        await CachedAsync();

        cache.OnEvent(engineEvent);
        await ObserveAsync();

        Assert.Equal([ObserveSource.Cache], sources);
    }

    public static TheoryData<EngineEvent> RelevantOfOthers() =>
    [
        // Names berth would collide with, images in use.
        ForeignContainerEvent(EngineEventActions.Create),
        ForeignContainerEvent(EngineEventActions.Destroy),
        ForeignContainerEvent(EngineEventActions.Rename),
        BerthContainerEvent(EngineEventActions.Create, host: "host-b"),
        Event(EngineObjectType.Network, EngineEventActions.Create, "n1", ("name", "shop_default"), ("type", "bridge")),
        Event(EngineObjectType.Network, EngineEventActions.Destroy, "n1", ("name", "shop_default"), ("type", "bridge")),
        Event(EngineObjectType.Volume, EngineEventActions.Create, "shop_data", ("driver", "local")),
        Event(EngineObjectType.Volume, EngineEventActions.Destroy, "shop_data", ("driver", "local")),
        Event(EngineObjectType.Image, EngineEventActions.Pull, Image, ("name", Image)),
        Event(EngineObjectType.Image, EngineEventActions.Tag, "sha256:1", ("name", Image)),
        Event(EngineObjectType.Image, EngineEventActions.Untag, "sha256:1"),
        Event(EngineObjectType.Image, EngineEventActions.Delete, "sha256:1"),
        // What cannot be attributed counts.
        Event(EngineObjectType.Other, "reload", "daemon"),
    ];

    [Theory]
    [MemberData(nameof(RelevantOfOthers))]
    public async Task OnEvent_NamesOrImagesAnObservationShows_NextObservationListsTheEngine(EngineEvent engineEvent)
    {
        await CachedAsync();

        cache.OnEvent(engineEvent);
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine], sources);
    }

    [Fact]
    public async Task OnEvent_BerthReplicaDisconnectedFromANetwork_NextObservationListsTheEngine()
    {
        var created = await inner.CreateContainerAsync(
            new ContainerCreateRequest(Service("shop", "web", WebContainer()), 1, "shop-web-1", new ResourceOwner(Host, "r1"), null, true), CancellationToken.None);
        await CachedAsync();

        cache.OnEvent(Event(EngineObjectType.Network, EngineEventActions.Disconnect, "some-network", ("container", created), ("name", "shop_default")));
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine], sources);
    }

    [Fact]
    public async Task Observe_EventArrivesWhileTheListRuns_ListIsUsedButNotKept()
    {
        cache.StreamStarting();
        inner.DuringObserve = () => cache.OnEvent(BerthContainerEvent(EngineEventActions.Die));
        await ObserveAsync();
        inner.DuringObserve = null;
        time.Advance(ObservationCache.Settle);

        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine, ObserveSource.Engine, ObserveSource.Cache], sources);
    }

    [Fact]
    public async Task Observe_ListBeginsRightAfterAnEvent_NotKeptUntilTheEngineSettled()
    {
        // The engine sends a die before it saves the container's new state: a list made right after the
        // event may still show it running, and no later event would correct it.
        await CachedAsync();
        cache.OnEvent(BerthContainerEvent(EngineEventActions.Die));
        time.Advance(ObservationCache.Settle / 2);

        await ObserveAsync();
        time.Advance(ObservationCache.Settle);
        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine, ObserveSource.Engine, ObserveSource.Cache], sources);
    }

    [Fact]
    public async Task Observe_AfterBerthChangedTheEngine_NextPassListsAgain()
    {
        var created = await inner.CreateContainerAsync(
            new ContainerCreateRequest(Service("shop", "web", WebContainer()), 1, "shop-web-1", new ResourceOwner(Host, "r1"), null, true), CancellationToken.None);
        await CachedAsync();

        // A pass that executed steps, then observed what it left (as HostReconciler does after execution).
        await engine.StartContainerAsync(created, CancellationToken.None);
        await ObserveAsync();
        time.Advance(ObservationCache.Settle);
        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine, ObserveSource.Engine, ObserveSource.Cache], sources);
    }

    [Fact]
    public async Task Observe_SnapshotOlderThanTheResyncInterval_ListsTheEngine()
    {
        await CachedAsync();

        time.Advance(TimeSpan.FromMinutes(10));
        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine, ObserveSource.Cache], sources);
    }

    [Fact]
    public async Task Observe_ResyncIntervalZero_EveryObservationListsTheEngine()
    {
        var uncached = new CachingContainerEngine(inner, new ObservationCache(Host, TimeSpan.Zero, time));

        await uncached.ObserveAsync(Host, [Image], CancellationToken.None);
        await uncached.ObserveAsync(Host, [Image], CancellationToken.None);

        Assert.Equal(2, inner.ObserveCalls);
    }

    [Fact]
    public async Task Observe_OtherImageReferences_ListsTheEngine()
    {
        // A new commit's image is resolved by the list; the kept snapshot never resolved it.
        await CachedAsync();

        await ObserveAsync(Image, "berth-test/busybox:2");

        Assert.Equal([ObserveSource.Engine], sources);
    }

    [Fact]
    public async Task RunAsync_StreamBreaks_ListsUntilResubscribedThenCachesAgain()
    {
        var events = new BreakableEvents();
        var breaks = new List<Exception?>();
        using var stop = new CancellationTokenSource();
        var running = cache.RunAsync(events, breaks.Add, stop.Token);
        await WaitUntilAsync(() => events.Subscriptions == 1);
        await ObserveAsync();
        await ObserveAsync();
        Assert.Equal([ObserveSource.Engine, ObserveSource.Cache], sources);

        events.Break(new EngineException(EngineFailureKind.Transient, "connection reset"));
        await WaitUntilAsync(() => !cache.StreamUp);
        await ObserveAsync();
        await ObserveAsync();

        // Resubscribed after the delay (the fake clock moves a second at a time: the delay's timer may not
        // exist yet when the break is seen); the first list after it is kept, as at start.
        await WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return events.Subscriptions == 2;
        });
        await ObserveAsync();
        await ObserveAsync();

        Assert.Equal([ObserveSource.Engine, ObserveSource.Cache, ObserveSource.Engine, ObserveSource.Engine, ObserveSource.Engine, ObserveSource.Cache], sources);
        Assert.IsType<EngineException>(Assert.Single(breaks));
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_EventOnTheStream_MakesTheSnapshotStale()
    {
        var events = new BreakableEvents();
        using var stop = new CancellationTokenSource();
        var running = cache.RunAsync(events, null, stop.Token);
        await WaitUntilAsync(() => events.Subscriptions == 1);
        await ObserveAsync();
        Assert.True(cache.HoldsCurrentSnapshot);

        events.Send(BerthContainerEvent(EngineEventActions.Die));
        await WaitUntilAsync(() => !cache.HoldsCurrentSnapshot);

        Assert.Equal(ObservationCache.Filter.Actions.Order(StringComparer.Ordinal), events.LastFilter!.Actions.Order(StringComparer.Ordinal));
        Assert.Empty(events.LastFilter.Labels);
        Assert.True(events.LastSince < time.GetUtcNow(), "the stream replays from before it was requested");
        await stop.CancelAsync();
        await running;
    }

    [Theory]
    [InlineData(1, 0, "cache")]
    [InlineData(0, 1, "engine")]
    [InlineData(0, 2, "engine ×2")]
    [InlineData(1, 1, "cache + engine")]
    [InlineData(0, 0, null)]
    public void DescribeObservation_CountsOfAPass_TheWordsOfItsLogLine(long fromCache, long fromEngine, string? expected) =>
        Assert.Equal(expected, Berth.Daemon.Passes.GitOpsPass.DescribeObservation(fromCache, fromEngine));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // The stream's consumer runs on the thread pool: poll with a deadline, no fixed sleep.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the informer");
            await Task.Delay(5);
        }
    }

    /// <summary>An event stream that can be broken and subscribed again (a new stream each time, as the engine's).</summary>
    private sealed class BreakableEvents : IEngineEvents
    {
        private Channel<EngineEvent> current = Channel.CreateUnbounded<EngineEvent>();
        private int subscriptions;

        public int Subscriptions => Volatile.Read(ref subscriptions);

        public EngineEventFilter? LastFilter { get; private set; }

        public DateTimeOffset? LastSince { get; private set; }

        public void Send(EngineEvent engineEvent) => Volatile.Read(ref current).Writer.TryWrite(engineEvent);

        public void Break(Exception failure) => Volatile.Read(ref current).Writer.TryComplete(failure);

        public async IAsyncEnumerable<EngineEvent> StreamAsync(EngineEventFilter filter, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            LastFilter = filter;
            LastSince = since;
            var channel = Channel.CreateUnbounded<EngineEvent>();
            Volatile.Write(ref current, channel);
            Interlocked.Increment(ref subscriptions);
            await foreach (var engineEvent in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return engineEvent;
            }
        }
    }
}
