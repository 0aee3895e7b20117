using System.Net;
using System.Net.Sockets;
using Docker.DotNet;

namespace Berth.Reconciler.Engine;

/// <summary>
/// Sorts an engine call's failure into "try again later" and "will fail the same way again"
/// (Flux's transient vs stalled). The line matters: a transient failure must never be recorded
/// against the revision (docs/reconcile.md, "Failed revisions"), and only transient failures are
/// retried in place (<see cref="ResilientContainerEngine"/>).
/// </summary>
public static class EngineErrors
{
    /// <summary>
    /// True when the engine (or the registry behind a pull) could not be reached or answered with a
    /// server error: socket and HTTP transport errors, timeouts, engine 5xx, and pulls that failed on
    /// the network. False for what the engine refused on its merits (4xx: no such image, name in use,
    /// invalid parameter), and for anything that is not an engine error at all.
    /// </summary>
    /// <remarks>
    /// Engine 5xx counts as transient, except for the lasting problems dockerd also answers with 500
    /// (<see cref="LastingServerErrors"/>): a published port already taken, or a container whose
    /// command cannot run. Retrying those with backoff would never end; during a replacement they are
    /// the new version's failure (rolled back, the revision held), as a failed health gate is.
    /// </remarks>
    public static bool IsTransient(Exception exception) => exception switch
    {
        DockerApiException api => ((int)api.StatusCode >= 500 && !IsLastingServerError(api.ResponseBody)) || api.StatusCode == HttpStatusCode.TooManyRequests,
        ImagePullException pull => pull.IsTransient,
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        // HttpClient reports its own timeout as a cancellation that the caller did not ask for.
        TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    /// <summary>True when the engine answered that the container, image, network or volume does not exist (404).</summary>
    public static bool IsNotFound(Exception exception) => exception is DockerApiException { StatusCode: HttpStatusCode.NotFound };

    // dockerd's 500 answers that say the same request will fail again (docker 20.10-28 wording).
    private static readonly string[] LastingServerErrors =
    [
        "port is already allocated",
        "address already in use",
        "executable file not found",
        "oci runtime create failed",
        "oci runtime exec failed",
    ];

    private static bool IsLastingServerError(string? responseBody) =>
        responseBody is not null && LastingServerErrors.Any(fragment => responseBody.Contains(fragment, StringComparison.OrdinalIgnoreCase));

    // Registry and network failures as dockerd words them in the pull progress stream. Anything else
    // (manifest unknown, unauthorized, denied, invalid reference) is about the reference itself.
    private static readonly string[] TransientPullMessages =
    [
        "timeout",
        "timed out",
        "connection refused",
        "connection reset",
        "no such host",
        "network is unreachable",
        "tls handshake",
        "i/o timeout",
        "unexpected eof",
        "toomanyrequests",
        "too many requests",
        "service unavailable",
        "bad gateway",
        "gateway timeout",
        "internal server error",
        "temporary failure",
    ];

    /// <summary>True when a pull error message from the engine's progress stream says the registry could not be reached.</summary>
    public static bool IsTransientPullMessage(string message) =>
        TransientPullMessages.Any(fragment => message.Contains(fragment, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A pull that the engine started but reported as failed in its progress stream.</summary>
public sealed class ImagePullException(string imageReference, string engineMessage)
    : Exception($"pulling {imageReference} failed: {engineMessage}")
{
    public string ImageReference { get; } = imageReference;

    /// <summary>The registry could not be reached (network, timeout, rate limit, 5xx); see <see cref="EngineErrors.IsTransientPullMessage"/>.</summary>
    public bool IsTransient { get; } = EngineErrors.IsTransientPullMessage(engineMessage);
}
