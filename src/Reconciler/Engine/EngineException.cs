using System.Net;

namespace Berth.Reconciler.Engine;

/// <summary>How an engine call failed: the line between "try again later" and "a person must act".</summary>
public enum EngineFailureKind
{
    /// <summary>
    /// The engine (or the registry behind a pull) could not be reached, did not answer in time, or
    /// answered with a passing server error (5xx, 429). Retried; never held against a revision.
    /// </summary>
    Transient,

    /// <summary>
    /// The engine refused the request on its merits (4xx: no such container, name in use, invalid
    /// parameter) or with a server error that a repeat would meet again (a port taken, a command that
    /// does not exist). The same call fails the same way until the host or the spec changes.
    /// </summary>
    Refused,
}

/// <summary>
/// A failed engine call, as berth sees it. <see cref="DockerContainerEngine"/> and
/// <see cref="DockerEngineEvents"/> translate the Docker client's failures into this at the boundary
/// (<see cref="EngineErrors"/>): no code outside Engine/ sees the client library's types.
/// </summary>
public class EngineException : Exception
{
    public EngineException(EngineFailureKind kind, string message, Exception? innerException = null, HttpStatusCode? statusCode = null, string? responseBody = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        ResponseBody = responseBody;
    }

    public EngineFailureKind Kind { get; }

    /// <summary>True for <see cref="EngineFailureKind.Transient"/>: see <see cref="EngineErrors.IsTransient"/>.</summary>
    public bool IsTransient => Kind == EngineFailureKind.Transient;

    /// <summary>
    /// The engine's HTTP answer when it gave one (4xx, 5xx); null when it gave none: unreachable, no
    /// answer in time, or a failure it reported inside a progress stream (<see cref="ImagePullException"/>).
    /// </summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The engine's answer body (its JSON error message), when it answered.</summary>
    public string? ResponseBody { get; }
}

/// <summary>The engine answered 404: the container (network, image, volume) does not exist (any more).</summary>
public sealed class EngineNotFoundException(string message, Exception? innerException = null, string? responseBody = null)
    : EngineException(EngineFailureKind.Refused, message, innerException, HttpStatusCode.NotFound, responseBody);

/// <summary>
/// A pull that the engine started but reported as failed in its progress stream. Transient when the
/// registry could not be reached (network, timeout, rate limit, 5xx; <see cref="EngineErrors.IsTransientPullMessage"/>),
/// refused when the reference itself is the problem (manifest unknown, access denied).
/// </summary>
public sealed class ImagePullException(string imageReference, string engineMessage)
    : EngineException(
        EngineErrors.IsTransientPullMessage(engineMessage) ? EngineFailureKind.Transient : EngineFailureKind.Refused,
        $"pulling {imageReference} failed: {engineMessage}")
{
    public string ImageReference { get; } = imageReference;
}

/// <summary>An image import (<c>docker import</c>) that the engine reported as failed in its progress stream.</summary>
public sealed class ImageImportException(string reference, string engineMessage)
    : EngineException(EngineFailureKind.Refused, $"importing {reference} failed: {engineMessage}")
{
    /// <summary>The engine's own words.</summary>
    public string EngineMessage { get; } = engineMessage;
}
