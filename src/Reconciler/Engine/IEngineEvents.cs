using System.Collections.Immutable;
using Berth.Reconciler.Observe;

namespace Berth.Reconciler.Engine;

/// <summary>
/// The engine's event stream, in berth's own records (<see cref="DockerEngineEvents"/> over Docker.DotNet).
/// </summary>
/// <remarks>
/// The engine keeps only its last 256 events, and health-check execs can fill that in seconds: after
/// the stream broke, a consumer resynchronises from a full observe and never relies on replaying what
/// it missed with <c>since</c>.
/// </remarks>
public interface IEngineEvents
{
    /// <summary>
    /// The events that pass <paramref name="filter"/>, in the order the engine sends them, from
    /// <paramref name="since"/> on (null: from now). Ends when the engine closes the stream; throws
    /// <see cref="EngineException"/> when it breaks, <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    IAsyncEnumerable<EngineEvent> StreamAsync(EngineEventFilter filter, DateTimeOffset? since, CancellationToken cancellationToken);
}

/// <summary>What an event is about.</summary>
public enum EngineObjectType
{
    Container,
    Network,
    Volume,
    Image,

    /// <summary>Anything else the engine reports (daemon, plugin, ...).</summary>
    Other,
}

/// <summary>The event actions berth asks for (the engine's words).</summary>
public static class EngineEventActions
{
    /// <summary>A container started (also a restart by a restart policy): a new process, maybe a new address.</summary>
    public const string Start = "start";

    /// <summary>A container's main process exited (stop, kill, crash).</summary>
    public const string Die = "die";

    /// <summary>A container's process was killed by the kernel for running out of memory (a <c>die</c> follows).</summary>
    public const string Oom = "oom";

    /// <summary>A container was restarted (by its restart policy or <c>docker restart</c>).</summary>
    public const string Restart = "restart";

    /// <summary>A container was removed.</summary>
    public const string Destroy = "destroy";

    /// <summary>A container was renamed (<see cref="EngineEvent.Name"/> is the new name).</summary>
    public const string Rename = "rename";

    /// <summary>A container's health changed (<see cref="EngineEvent.Health"/> says to what).</summary>
    public const string HealthStatus = "health_status";

    /// <summary>A container joined a network (<see cref="EngineEvent.ContainerId"/>; the actor is the network).</summary>
    public const string Connect = "connect";

    /// <summary>A container left a network.</summary>
    public const string Disconnect = "disconnect";

    /// <summary>A container, network or volume was created.</summary>
    public const string Create = "create";

    /// <summary>A container was stopped (after its <c>die</c>).</summary>
    public const string Stop = "stop";

    /// <summary>A container's limits or restart policy were changed in place (<c>docker update</c>).</summary>
    public const string Update = "update";

    public const string Pause = "pause";

    public const string Unpause = "unpause";

    /// <summary>An image was pulled.</summary>
    public const string Pull = "pull";

    /// <summary>An image got a tag (<c>docker tag</c>, a build, a load).</summary>
    public const string Tag = "tag";

    /// <summary>A tag was taken off an image.</summary>
    public const string Untag = "untag";

    /// <summary>An image was deleted.</summary>
    public const string Delete = "delete";

    /// <summary>Images were loaded from a tar archive (<c>docker load</c>).</summary>
    public const string Load = "load";

    /// <summary>An image was imported (<c>docker import</c>).</summary>
    public const string Import = "import";
}

/// <summary>
/// Which events to deliver, filtered by the engine (health checks flood an unfiltered stream).
/// Empty lists mean "all".
/// </summary>
/// <param name="Types">Object types.</param>
/// <param name="Actions">Actions (<see cref="EngineEventActions"/>); <c>health_status</c> matches every health change.</param>
/// <param name="Labels">
/// Labels ("key=value" or "key") an event's actor must all carry. The engine matches them against the
/// event's attributes: container events carry the container's labels, network events do not (their
/// attributes are the network's name and type and the container's id), so a label filter drops them.
/// </param>
public sealed record EngineEventFilter(ImmutableArray<EngineObjectType> Types, ImmutableArray<string> Actions, ImmutableArray<string> Labels)
{
    /// <summary>The container events of everything berth manages for this host identity.</summary>
    public static EngineEventFilter ManagedContainers(string hostIdentity, params string[] actions) => new(
        [EngineObjectType.Container],
        [.. actions],
        [$"{BerthLabels.ManagedBy}={BerthLabels.ManagedByValue}", $"{BerthLabels.Host}={hostIdentity}"]);
}

/// <summary>One event.</summary>
/// <param name="Action">The engine's action without its detail: "health_status", not "health_status: healthy".</param>
/// <param name="ActorId">The id of what the event is about: the container, or for a network event the network.</param>
/// <param name="Attributes">The actor's attributes: for a container its labels plus "name" and "image"; for a network "name", "type" and "container".</param>
public sealed record EngineEvent(EngineObjectType Type, string Action, string ActorId, DateTimeOffset? Time, ImmutableSortedDictionary<string, string> Attributes)
{
    /// <summary>For <see cref="EngineEventActions.HealthStatus"/>: the new health; null otherwise.</summary>
    public ContainerHealth? Health { get; init; }

    /// <summary>The actor's name (a container's new name after a rename, a network's name).</summary>
    public string? Name => Attributes.GetValueOrDefault("name");

    /// <summary>The container the event concerns: the actor of a container event, the "container" attribute of a network event.</summary>
    public string? ContainerId => Type switch
    {
        EngineObjectType.Container => ActorId,
        EngineObjectType.Network => Attributes.GetValueOrDefault("container"),
        _ => null,
    };

    /// <summary>One attribute (a label of a container), or null.</summary>
    public string? Attribute(string key) => Attributes.GetValueOrDefault(key);
}
