using System.Collections.Immutable;
using Berth.Reconciler.Engine;

namespace Berth.Reconciler.Observe;

/// <summary>Where a pass's observation came from.</summary>
public enum ObserveSource
{
    /// <summary>The informer's last snapshot: nothing berth observes changed since it was listed.</summary>
    Cache,

    /// <summary>The engine's lists (containers, networks, volumes, images).</summary>
    Engine,
}

/// <summary>
/// The daemon's informer (controller-runtime's cache, Flux's habit): the last full observation of the
/// host, kept for as long as the engine's event stream says nothing it shows has changed. An idle pass
/// then costs no Engine API request at all; any doubt costs one ordinary list-based observation.
/// </summary>
/// <remarks>
/// <para>
/// It does not patch the snapshot from events (the events do not carry what the list carries: a
/// health's text, an address, an image's tags). An event only marks it stale, and the next pass lists
/// the engine again. The rules, each of which errs towards listing:
/// </para>
/// <list type="bullet">
/// <item>A snapshot is used only while the event stream is up, and only if the stream was already up
/// before the list that made it began (the usual informer rule: subscribe, then list). The stream is
/// asked to replay from a moment before its request (<c>since</c>), so an event between that moment and
/// the request's arrival at the engine is still delivered.</item>
/// <item>Any relevant event (<see cref="IsRelevant"/>), a break or reconnect of the stream, and any change
/// berth makes itself (<see cref="Invalidate"/>, called by <see cref="CachingContainerEngine"/>) makes the
/// snapshot stale.</item>
/// <item>A list that began less than <see cref="Settle"/> after the last change is used for its pass but
/// not kept: the engine announces some changes before its list shows them (a <c>die</c> is sent before the
/// container's state is saved), and such a list could keep the old state with no event left to correct it.</item>
/// <item>A snapshot older than the resync interval is listed again whatever the events said (events the
/// engine dropped, a clock that differs from the engine's).</item>
/// </list>
/// </remarks>
public sealed class ObservationCache
{
    /// <summary>Default of <c>reconcile.resyncInterval</c>: a full observation at least this often.</summary>
    public static readonly TimeSpan DefaultResyncInterval = TimeSpan.FromMinutes(10);

    /// <summary>How long after the last change a list must begin to be kept (see the remarks).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    /// <summary>Wait before subscribing again after the stream broke (the engine restarting, its socket gone).</summary>
    public static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The stream replays from this long before its request: the engine counts <c>since</c> in whole
    /// seconds, and an event it replays that the list already shows costs one list more, never a miss.
    /// </summary>
    private static readonly TimeSpan ReplayMargin = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Everything that changes what an observation shows, as Docker 20.10 (API 1.41) announces it. No
    /// label filter: the engine matches labels against attributes, which network, volume and image events
    /// do not carry. Health-check execs and volume mounts (every start) are not asked for.
    /// </summary>
    public static readonly EngineEventFilter Filter = new(
        [EngineObjectType.Container, EngineObjectType.Network, EngineObjectType.Volume, EngineObjectType.Image],
        [
            EngineEventActions.Create, EngineEventActions.Destroy, EngineEventActions.Start, EngineEventActions.Die,
            EngineEventActions.Stop, EngineEventActions.Rename, EngineEventActions.HealthStatus, EngineEventActions.Update,
            EngineEventActions.Pause, EngineEventActions.Unpause, EngineEventActions.Connect, EngineEventActions.Disconnect,
            EngineEventActions.Pull, EngineEventActions.Tag, EngineEventActions.Untag, EngineEventActions.Delete,
            EngineEventActions.Load, EngineEventActions.Import,
        ],
        []);

    // Container actions that change what the list shows of any container, berth's or not: its name (a
    // collision berth reports) and the images in use (image garbage collection keeps them).
    private static readonly ImmutableHashSet<string> ForeignContainerActions =
        [EngineEventActions.Create, EngineEventActions.Destroy, EngineEventActions.Rename];

    private readonly object sync = new();
    private readonly string hostIdentity;
    private readonly TimeSpan resyncInterval;
    private readonly TimeProvider timeProvider;

    // Guarded by `sync`. `version` counts changes: a snapshot is current while it has the version that
    // was current when its list began.
    private long version;
    private bool streamUp;
    private DateTimeOffset? lastChangeAt;
    private Entry? entry;
    // The drift check's bookkeeping (what only an inspect shows: `docker update`). The events name the
    // containers an update changed; the resync, the first pass and a pass after a stream break check all.
    private readonly HashSet<string> updatedContainers = new(StringComparer.Ordinal);

    // Containers berth itself updated (a drift repair), with how many of their update events are still to
    // come: those events are berth's own, not drift. Counting them as drift made a loop on an engine that
    // does not keep a value it is given (no swap accounting, rootless without a controller): repair, event,
    // inspect, the same drift, repair again, every pass.
    private readonly Dictionary<string, int> ownUpdates = new(StringComparer.Ordinal);
    private DateTimeOffset? lastFullDriftCheckAt;
    private long cacheHits;
    private long engineObserves;

    /// <param name="hostIdentity">Whose containers' every event counts (the labels berth puts on them).</param>
    /// <param name="resyncInterval">A snapshot is listed again once it is this old; zero: never used (every pass lists).</param>
    public ObservationCache(string hostIdentity, TimeSpan resyncInterval, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resyncInterval, TimeSpan.Zero);
        this.hostIdentity = hostIdentity;
        this.resyncInterval = resyncInterval;
        this.timeProvider = timeProvider;
    }

    /// <summary>Observations served so far, by source.</summary>
    public (long Cache, long Engine) Counts
    {
        get
        {
            lock (sync)
            {
                return (cacheHits, engineObserves);
            }
        }
    }

    /// <summary>True while the event stream is subscribed (a snapshot can only be kept then).</summary>
    public bool StreamUp
    {
        get
        {
            lock (sync)
            {
                return streamUp;
            }
        }
    }

    /// <summary>True when the cache holds a current snapshot (for some set of image references): the next such observation sends nothing.</summary>
    public bool HoldsCurrentSnapshot
    {
        get
        {
            lock (sync)
            {
                return CurrentEntry() is not null;
            }
        }
    }

    /// <summary>
    /// Keeps the cache current from the engine's events until <paramref name="cancellationToken"/> is
    /// cancelled: subscribes, and after a break or an end of the stream subscribes again after
    /// <see cref="ReconnectDelay"/>. Never throws but for cancellation.
    /// </summary>
    /// <param name="onBreak">Told why the stream ended (null: the engine closed it), before the wait to reconnect.</param>
    public async Task RunAsync(IEngineEvents events, Action<Exception?>? onBreak, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // Up before the request is made: a list that begins from now on is covered by the replay.
            var since = StreamStarting();
            Exception? broke = null;
            try
            {
                await foreach (var engineEvent in events.StreamAsync(Filter, since, cancellationToken).ConfigureAwait(false))
                {
                    OnEvent(engineEvent);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                StreamStopped();
                return;
            }
#pragma warning disable CA1031 // whatever broke the stream, the informer must not take the daemon down: passes list until it is back
            catch (Exception exception)
#pragma warning restore CA1031
            {
                broke = exception;
            }

            // Events may have been missed while it was down: nothing listed before now is trusted again.
            StreamStopped();
            onBreak?.Invoke(broke);
            try
            {
                await Task.Delay(ReconnectDelay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The stream is being subscribed: snapshots listed before are stale. Returns where the stream must replay from.</summary>
    internal DateTimeOffset StreamStarting()
    {
        lock (sync)
        {
            streamUp = true;
            version++;
            // An update while the stream was down was not heard: the next pass checks every replica.
            lastFullDriftCheckAt = null;
            return timeProvider.GetUtcNow() - ReplayMargin;
        }
    }

    /// <summary>The stream broke or ended: nothing is served from the cache until it is subscribed again.</summary>
    internal void StreamStopped()
    {
        lock (sync)
        {
            streamUp = false;
            version++;
            entry = null;
        }
    }

    /// <summary>Marks the snapshot stale when the event concerns what an observation shows.</summary>
    public void OnEvent(EngineEvent engineEvent)
    {
        lock (sync)
        {
            // Judged against the snapshot only while it is current: a stale one (berth changed the engine since,
            // a list is in flight) does not know the containers and networks created since, and an event about
            // them must still mark the list in flight as too old to keep.
            if (IsRelevant(engineEvent, hostIdentity, entry is { } current && current.Version == version ? current.Snapshot : null))
            {
                ChangedLocked();
            }

            if (engineEvent.Type == EngineObjectType.Container && engineEvent.Action == EngineEventActions.Update
                && engineEvent.Attribute(BerthLabels.ManagedBy) == BerthLabels.ManagedByValue && engineEvent.Attribute(BerthLabels.Host) == hostIdentity
                && !TakeOwnUpdateLocked(engineEvent.ActorId))
            {
                updatedContainers.Add(engineEvent.ActorId);
            }
        }
    }

    /// <summary>
    /// berth is about to update <paramref name="containerId"/> in place (a drift repair): its next
    /// <c>update</c> event is berth's own and does not ask for a drift check (<see cref="ownUpdates"/>).
    /// </summary>
    public void ExpectOwnUpdate(string containerId)
    {
        lock (sync)
        {
            ownUpdates[containerId] = ownUpdates.GetValueOrDefault(containerId) + 1;
        }
    }

    private bool TakeOwnUpdateLocked(string containerId)
    {
        // Events carry the full id; berth updates by the id it listed, which is the full id too.
        if (!ownUpdates.TryGetValue(containerId, out var expected))
        {
            return false;
        }

        if (expected <= 1)
        {
            ownUpdates.Remove(containerId);
        }
        else
        {
            ownUpdates[containerId] = expected - 1;
        }

        return true;
    }

    /// <summary>
    /// Which replicas the next pass inspects for drift only an inspect shows, and forgets them: every
    /// replica on the first pass, on the first after the stream was subscribed again, and once per resync interval (a resync of zero:
    /// never by time); otherwise only the containers an <c>update</c> event named since the last pass
    /// (none on an idle host: the pass stays at zero requests). berth's own updates are not: a value the
    /// engine did not keep is found again at the next resync, not every pass.
    /// </summary>
    public DriftCheckScope TakeDriftCheck()
    {
        lock (sync)
        {
            var now = timeProvider.GetUtcNow();
            var fullDue = lastFullDriftCheckAt is not { } last || (resyncInterval > TimeSpan.Zero && now - last >= resyncInterval);
            var scope = fullDue ? DriftCheckScope.Everything : DriftCheckScope.Only(updatedContainers);
            if (fullDue)
            {
                lastFullDriftCheckAt = now;
            }

            updatedContainers.Clear();
            return scope;
        }
    }

    /// <summary>
    /// A pass that took <paramref name="scope"/> ended without a result (the engine went away, a refusal
    /// outside any step): its replicas are checked on the next pass instead of waiting for the resync.
    /// </summary>
    public void PutBackDriftCheck(DriftCheckScope scope)
    {
        lock (sync)
        {
            if (scope.All)
            {
                lastFullDriftCheckAt = null;
            }

            updatedContainers.UnionWith(scope.ContainerIds);
        }
    }

    /// <summary>berth changed the engine itself (a create, start, stop, remove, pull, ...): the next pass lists.</summary>
    public void Invalidate()
    {
        lock (sync)
        {
            ChangedLocked();
        }
    }

    /// <summary>
    /// Whether an event can change what an observation of <paramref name="hostIdentity"/> shows. Anything
    /// that cannot be attributed counts.
    /// </summary>
    /// <param name="snapshot">The snapshot held, to attribute a network connect or disconnect; null: every one counts.</param>
    internal static bool IsRelevant(EngineEvent engineEvent, string hostIdentity, ObservedState? snapshot)
    {
        switch (engineEvent.Type)
        {
            case EngineObjectType.Container:
                var ours = engineEvent.Attribute(BerthLabels.ManagedBy) == BerthLabels.ManagedByValue
                    && engineEvent.Attribute(BerthLabels.Host) == hostIdentity;
                // Another tool's container starting, dying or turning healthy changes nothing berth lists
                // of it (its name, its image); on a busy host those are most events.
                return ours || ForeignContainerActions.Contains(engineEvent.Action);
            case EngineObjectType.Network when engineEvent.Action is EngineEventActions.Connect or EngineEventActions.Disconnect:
                // A container joined or left a network: berth's concern when the container or the network is
                // berth's (a `docker network disconnect` of a replica changes its addresses).
                return snapshot is null
                    || engineEvent.ContainerId is not { } containerId
                    || snapshot.Containers.Any(container => container.Id == containerId)
                    || snapshot.Fronts.Any(front => front.Id == containerId)
                    || snapshot.Networks.Any(network => network.Id == engineEvent.ActorId);
            default:
                // Networks and volumes created or removed (berth's or a name berth would collide with),
                // images pulled, tagged or deleted (what a reference resolves to), anything else.
                return true;
        }
    }

    /// <summary>The snapshot for these image references when it is current; counts the observation either way.</summary>
    internal bool TryGet(string key, out ObservedState snapshot)
    {
        lock (sync)
        {
            if (CurrentEntry() is { } current && current.Key == key)
            {
                cacheHits++;
                snapshot = current.Snapshot;
                return true;
            }

            engineObserves++;
            snapshot = ObservedState.Empty;
            return false;
        }
    }

    /// <summary>A list is about to begin: what decides whether its result may be kept.</summary>
    internal ListTicket BeginList()
    {
        lock (sync)
        {
            var now = timeProvider.GetUtcNow();
            var settled = lastChangeAt is not { } changed || now - changed >= Settle;
            return new ListTicket(version, now, streamUp && settled);
        }
    }

    /// <summary>Keeps a list's result when nothing changed since it began (and it may be kept at all).</summary>
    internal void Complete(ListTicket ticket, string key, ObservedState snapshot)
    {
        lock (sync)
        {
            entry = ticket.Keepable && ticket.Version == version && resyncInterval > TimeSpan.Zero
                ? new Entry(key, snapshot, ticket.Version, ticket.BeganAt)
                : null;
        }
    }

    /// <summary>What a cached snapshot is kept under: the host and the image references it resolved.</summary>
    internal static string Key(string hostIdentity, IEnumerable<string> imageReferences) =>
        hostIdentity + "\n" + string.Join("\n", imageReferences.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private Entry? CurrentEntry() =>
        streamUp && entry is { } current && current.Version == version && timeProvider.GetUtcNow() - current.ListedAt < resyncInterval
            ? current
            : null;

    private void ChangedLocked()
    {
        version++;
        lastChangeAt = timeProvider.GetUtcNow();
    }

    internal readonly record struct ListTicket(long Version, DateTimeOffset BeganAt, bool Keepable);

    private sealed record Entry(string Key, ObservedState Snapshot, long Version, DateTimeOffset ListedAt);
}
