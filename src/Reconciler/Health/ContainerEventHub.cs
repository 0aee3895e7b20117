using System.Collections.Immutable;
using System.Threading.Channels;
using Berth.Reconciler.Engine;

namespace Berth.Reconciler.Health;

/// <summary>
/// One subscription to the engine's container events for a whole pass, routed by container id to the
/// health gates waiting on those containers. The executor runs several units at once; one stream for
/// all of them keeps the engine's work (and the engine's event filter) constant per pass.
/// </summary>
/// <remarks>
/// <para>
/// Started before the pass executes anything, and every event since then is kept per container (the
/// filter is narrow: berth's own containers, a handful of actions, and <c>health_status</c> is sent only
/// when the health changes), so a gate that subscribes after its first inspect still sees every event
/// since the pass began: nothing between the container's start and the gate's subscription is lost.
/// </para>
/// <para>
/// Events are hints, not the truth: a gate still decides from an inspect whenever an event says the
/// container may have failed, because a kept event may be older than the gate's first inspect (the die
/// of a restart berth did itself). When the stream breaks, ends, or there is no stream, every
/// subscription reports it and its gate falls back to polling: a broken stream never fails a deploy.
/// </para>
/// </remarks>
public sealed class ContainerEventHub : IAsyncDisposable
{
    /// <summary>What a gate needs to hear about: health changes, exits, restarts, removal.</summary>
    internal static readonly ImmutableArray<string> WatchedActions =
    [
        EngineEventActions.HealthStatus, EngineEventActions.Die, EngineEventActions.Oom, EngineEventActions.Restart,
        EngineEventActions.Start, EngineEventActions.Destroy,
    ];

    private readonly object sync = new();
    private readonly Dictionary<string, List<EngineEvent>> received = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Channel<EngineEvent>>> subscribers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stop = new();
    private readonly Task pumping;

    // Set once the stream is gone (broken, ended, never there): later subscriptions start unavailable.
    private Exception? streamGone;

    private ContainerEventHub(IEngineEvents? events, string hostIdentity, DateTimeOffset since)
    {
        pumping = events is null
            ? Task.CompletedTask
            : PumpAsync(events, EngineEventFilter.ManagedContainers(hostIdentity, [.. WatchedActions]), since, stop.Token);
        if (events is null)
        {
            streamGone = new InvalidOperationException("no event stream");
        }
    }

    /// <summary>
    /// Subscribes to berth's container events for <paramref name="hostIdentity"/> from now on; without
    /// <paramref name="events"/> every gate polls.
    /// </summary>
    public static ContainerEventHub Start(IEngineEvents? events, string hostIdentity, TimeProvider timeProvider) =>
        // The engine's `since` counts whole seconds and replays from its buffer: the stream covers the
        // pass from its start even if the request connects a moment later.
        new(events, hostIdentity, timeProvider.GetUtcNow());

    /// <summary>
    /// The events of one container (by its full id): first those received since the pass began, then
    /// the live ones; null when the stream is gone (broken earlier in the pass, or never there): poll.
    /// Dispose it when the gate ends.
    /// </summary>
    public ContainerEventFeed? Subscribe(string containerId)
    {
        var channel = Channel.CreateUnbounded<EngineEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (sync)
        {
            if (streamGone is not null)
            {
                return null;
            }

            if (received.TryGetValue(containerId, out var earlier))
            {
                foreach (var engineEvent in earlier)
                {
                    channel.Writer.TryWrite(engineEvent);
                }
            }

            if (!subscribers.TryGetValue(containerId, out var list))
            {
                subscribers[containerId] = list = [];
            }

            list.Add(channel);
        }

        return new ContainerEventFeed(channel.Reader, () => Unsubscribe(containerId, channel));
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await pumping.ConfigureAwait(false);
        stop.Dispose();
    }

    private void Unsubscribe(string containerId, Channel<EngineEvent> channel)
    {
        lock (sync)
        {
            if (subscribers.TryGetValue(containerId, out var list))
            {
                list.Remove(channel);
            }
        }
    }

    private async Task PumpAsync(IEngineEvents events, EngineEventFilter filter, DateTimeOffset since, CancellationToken cancellationToken)
    {
        Exception gone;
        try
        {
            await foreach (var engineEvent in events.StreamAsync(filter, since, cancellationToken).ConfigureAwait(false))
            {
                Route(engineEvent);
            }

            gone = new InvalidOperationException("the engine closed its event stream");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            gone = new InvalidOperationException("the pass ended");
        }
#pragma warning disable CA1031 // whatever broke the stream, the gates fall back to polling; the pass goes on
        catch (Exception exception)
#pragma warning restore CA1031
        {
            // Wrapped: a subscriber must not mistake a stream cut by a timeout for its own cancellation.
            gone = new InvalidOperationException($"the event stream broke: {exception.Message}", exception);
        }

        lock (sync)
        {
            streamGone = gone;
            foreach (var channel in subscribers.Values.SelectMany(list => list))
            {
                channel.Writer.TryComplete(gone);
            }

            subscribers.Clear();
        }
    }

    private void Route(EngineEvent engineEvent)
    {
        if (engineEvent.Type != EngineObjectType.Container)
        {
            return;
        }

        lock (sync)
        {
            if (!received.TryGetValue(engineEvent.ActorId, out var list))
            {
                received[engineEvent.ActorId] = list = [];
            }

            list.Add(engineEvent);
            if (subscribers.TryGetValue(engineEvent.ActorId, out var live))
            {
                foreach (var channel in live)
                {
                    channel.Writer.TryWrite(engineEvent);
                }
            }
        }
    }
}

/// <summary>What a gate waits for next: an event about its container, the time to look again, or the end of the stream.</summary>
public enum FeedSignal
{
    Event,
    TimeToLook,
    StreamGone,
}

/// <summary>One gate's view of the pass's event stream: its container's events, in order.</summary>
public sealed class ContainerEventFeed(ChannelReader<EngineEvent> reader, Action unsubscribe) : IDisposable
{
    /// <summary>
    /// Waits for the next event, at most <paramref name="timeout"/> (measured by <paramref name="timeProvider"/>).
    /// </summary>
    public async Task<(FeedSignal Signal, EngineEvent? Event)> NextAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (reader.TryRead(out var ready))
        {
            return (FeedSignal.Event, ready);
        }

        if (reader.Completion.IsCompleted)
        {
            return (FeedSignal.StreamGone, null);
        }

        // Whole milliseconds, rounded up: a system timer counts in them, and a sub-millisecond rest would
        // round down to an immediate wake-up.
        using var timer = new CancellationTokenSource(timeout <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Ceiling(timeout.TotalMilliseconds)), timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            return await reader.WaitToReadAsync(either.Token).ConfigureAwait(false) && reader.TryRead(out var engineEvent)
                ? (FeedSignal.Event, engineEvent)
                : (FeedSignal.StreamGone, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (FeedSignal.TimeToLook, null);
        }
#pragma warning disable CA1031 // the channel completes with whatever broke the stream: for the gate, the stream is gone
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return (FeedSignal.StreamGone, null);
        }
    }

    public void Dispose() => unsubscribe();
}
