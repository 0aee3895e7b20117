using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Reconciler.Engine;

/// <summary><see cref="IEngineEvents"/> over Docker.DotNet's <c>System.MonitorEventsAsync</c>.</summary>
public sealed class DockerEngineEvents : IEngineEvents, IDisposable
{
    private readonly IDockerClient client;
    private readonly bool ownsClient;

    /// <summary>Events from a client the caller owns (and disposes).</summary>
    public DockerEngineEvents(IDockerClient client)
        : this(client, ownsClient: false)
    {
    }

    private DockerEngineEvents(IDockerClient client, bool ownsClient)
    {
        this.client = client;
        this.ownsClient = ownsClient;
    }

    /// <summary>
    /// Events with their own client, without a request timeout (the stream is long-lived; a request
    /// timeout would cut it), disposed with this.
    /// </summary>
    public static DockerEngineEvents Connect(string? endpoint) =>
        new(DockerClientFactory.Create(endpoint, Timeout.InfiniteTimeSpan), ownsClient: true);

    public void Dispose()
    {
        if (ownsClient)
        {
            client.Dispose();
        }
    }

    public async IAsyncEnumerable<EngineEvent> StreamAsync(EngineEventFilter filter, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The client pushes each event to a callback on its reading thread; the channel turns that into
        // a stream the consumer pulls. Unbounded: the engine filters, and a consumer that falls behind
        // only delays events the engine would have dropped anyway (it keeps 256).
        var channel = Channel.CreateUnbounded<EngineEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pumping = PumpAsync(Parameters(filter, since), channel.Writer, stop.Token);
        try
        {
            await foreach (var engineEvent in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return engineEvent;
            }
        }
        finally
        {
            // The consumer stopped early (or was cancelled): end the request, and wait for the pump so
            // that no callback runs after the enumeration ended.
            await stop.CancelAsync().ConfigureAwait(false);
            await pumping.ConfigureAwait(false);
        }
    }

    private async Task PumpAsync(ContainerEventsParameters parameters, ChannelWriter<EngineEvent> writer, CancellationToken cancellationToken)
    {
        try
        {
            await client.System.MonitorEventsAsync(parameters, new SynchronousProgress(message =>
            {
                if (Map(message) is { } engineEvent)
                {
                    writer.TryWrite(engineEvent);
                }
            }), cancellationToken).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception exception)
        {
            // A broken stream reaches the consumer as berth's EngineException; the consumer's own
            // cancellation as itself (ReadAllAsync throws it).
            writer.TryComplete(EngineErrors.Translate(exception, cancellationToken) ?? exception);
        }
    }

    internal static ContainerEventsParameters Parameters(EngineEventFilter filter, DateTimeOffset? since)
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>(StringComparer.Ordinal);
        if (!filter.Types.IsDefaultOrEmpty)
        {
            filters["type"] = filter.Types.Where(type => type != EngineObjectType.Other)
                .ToDictionary(TypeName, _ => true, StringComparer.Ordinal);
        }

        if (!filter.Actions.IsDefaultOrEmpty)
        {
            filters["event"] = filter.Actions.Distinct(StringComparer.Ordinal).ToDictionary(action => action, _ => true, StringComparer.Ordinal);
        }

        if (!filter.Labels.IsDefaultOrEmpty)
        {
            filters["label"] = filter.Labels.Distinct(StringComparer.Ordinal).ToDictionary(label => label, _ => true, StringComparer.Ordinal);
        }

        return new ContainerEventsParameters
        {
            Since = since?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            Filters = filters,
        };
    }

    private static string TypeName(EngineObjectType type) => type switch
    {
        EngineObjectType.Container => "container",
        EngineObjectType.Network => "network",
        EngineObjectType.Volume => "volume",
        EngineObjectType.Image => "image",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an engine object type a filter can name"),
    };

    /// <summary>The client's event as berth's record; null for one without an actor.</summary>
    internal static EngineEvent? Map(Message message)
    {
        if (message.Actor?.ID is not { } actorId || message.Action is not { } fullAction)
        {
            return null;
        }

        // "health_status: healthy", "exec_start: sh -c ...": the action, then its detail.
        var separator = fullAction.IndexOf(": ", StringComparison.Ordinal);
        var action = separator < 0 ? fullAction : fullAction[..separator];
        var detail = separator < 0 ? null : fullAction[(separator + 2)..];
        var type = message.Type switch
        {
            "container" => EngineObjectType.Container,
            "network" => EngineObjectType.Network,
            "volume" => EngineObjectType.Volume,
            "image" => EngineObjectType.Image,
            _ => EngineObjectType.Other,
        };
        DateTimeOffset? time = message.TimeNano is { } nanoseconds and > 0
            ? DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100)
            : message.Time is { } seconds and > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
        return new EngineEvent(
            type,
            action,
            actorId,
            time,
            (message.Actor.Attributes ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal))
        {
            Health = action == EngineEventActions.HealthStatus ? DockerContainerEngine.ParseHealth(detail) : null,
        };
    }

    /// <summary>Hands each event over on the stream's own thread, in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<Message> handle) : IProgress<Message>
    {
        public void Report(Message value) => handle(value);
    }
}
