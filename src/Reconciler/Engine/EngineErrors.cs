using System.Net;
using System.Net.Sockets;
using Docker.DotNet;

namespace Berth.Reconciler.Engine;

/// <summary>
/// Sorts an engine call's failure into "try again later" and "will fail the same way again"
/// (Flux's transient vs stalled), and is the one place that knows how the Docker client reports
/// failures: <see cref="Translate"/> turns them into <see cref="EngineException"/> at the boundary.
/// The line matters: a transient failure must never be recorded against the revision
/// (docs/reconcile.md, "Failed revisions"), only transient failures are retried in place
/// (<see cref="ResilientContainerEngine"/>), and "the engine is unavailable" (the daemon's
/// EngineUnavailable, the CLI's "cannot reach the Docker Engine") means exactly this.
/// </summary>
public static partial class EngineErrors
{
    /// <summary>
    /// True for an <see cref="EngineException"/> of kind <see cref="EngineFailureKind.Transient"/>: the
    /// engine (or the registry behind a pull) could not be reached, did not answer in time, or answered
    /// with a server error. False for what the engine refused on its merits (4xx: no such image, name in
    /// use, invalid parameter), and for anything that is not an engine failure at all (the caller
    /// cancelling, a bug).
    /// </summary>
    public static bool IsTransient(Exception exception) => exception is EngineException { IsTransient: true };

    /// <summary>
    /// The Docker client's failure as an <see cref="EngineException"/>; null when it is not an engine
    /// failure (the caller cancelled, or an error of berth's own), or is one already.
    /// </summary>
    /// <param name="exception">What the client threw.</param>
    /// <param name="cancellationToken">
    /// The caller's token: a cancellation it did not ask for is the client's request timeout (the
    /// client cancels its own request then, and HttpClient reports that as a plain
    /// <see cref="TaskCanceledException"/>, without a <see cref="TimeoutException"/> inside).
    /// </param>
    /// <remarks>
    /// Engine 5xx counts as transient, except for the lasting problems dockerd also answers with 500
    /// (<see cref="LastingServerErrors"/>): a published port already taken, or a container whose
    /// command cannot run. Retrying those with backoff would never end; during a replacement they are
    /// the new version's failure (rolled back, the revision held), as a failed health gate is.
    /// </remarks>
    internal static EngineException? Translate(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        EngineException => null,
        // The message is the client's own ("Docker API responded with status code=..."): users see it in
        // rollout evidence ("could not start: ..."), unchanged by the translation.
        DockerApiException { StatusCode: HttpStatusCode.NotFound } api => new EngineNotFoundException(api.Message, api, api.ResponseBody),
        DockerApiException api => new EngineException(
            IsTransientAnswer(api.StatusCode, api.ResponseBody) ? EngineFailureKind.Transient : EngineFailureKind.Refused,
            api.Message, api, api.StatusCode, api.ResponseBody),
        OperationCanceledException when cancellationToken.IsCancellationRequested => null,
        // No inner exception: callers report GetBaseException().Message, which would be the client's
        // "The operation was canceled." and hide that nothing answered.
        OperationCanceledException => new EngineException(EngineFailureKind.Transient, "the engine did not answer in time (the request timed out)"),
        // The inner exception is the original: GetBaseException() still finds its root cause
        // ("Connection refused"), as callers reported before the translation.
        HttpRequestException or SocketException or TimeoutException or IOException => new EngineException(EngineFailureKind.Transient, exception.Message, exception),
        _ => null,
    };

    /// <summary>True when the engine answered that the container, image, network or volume does not exist (404).</summary>
    public static bool IsNotFound(Exception exception) => exception is EngineNotFoundException;

    /// <summary>
    /// True when the engine answered 404 for a container, network or volume: one the pass observed was
    /// removed while the pass worked on it (by hand, by another tool, by `--rm`). Drift during the pass,
    /// not the revision's fault and not the host's lasting state: the pass ends retryable, like an
    /// engine outage, and the next pass re-observes and converges. Never retried in place (the same call
    /// would meet the same 404; only a new plan helps). False for a missing image (a reference the
    /// registry or the host does not have stays a real error) and for anything that is not a 404.
    /// </summary>
    public static bool IsVanished(Exception exception) =>
        exception is EngineNotFoundException { ResponseBody: { } body }
        && (VanishedObjectMessages.Any(fragment => body.Contains(fragment, StringComparison.OrdinalIgnoreCase)) || MissingNetwork().IsMatch(body));

    // dockerd's 404 answers for the objects a pass observes (docker 20.10-28 wording): "No such container: x",
    // "No such network: x" or "network x not found", "get x: no such volume". An image's is "No such image: x".
    private static readonly string[] VanishedObjectMessages =
    [
        "no such container",
        "no such network",
        "no such volume",
    ];

    [System.Text.RegularExpressions.GeneratedRegex(@"\bnetwork \S+ not found", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex MissingNetwork();

    /// <summary>Whether an error answer with this status and body is worth retrying (see <see cref="Translate"/>).</summary>
    internal static bool IsTransientAnswer(HttpStatusCode statusCode, string? responseBody) =>
        ((int)statusCode >= 500 && !IsLastingServerError(responseBody)) || statusCode == HttpStatusCode.TooManyRequests;

    /// <summary>
    /// An engine's error answer as <see cref="Translate"/> makes it from the client's exception, with the
    /// client's message: for engines that are not the Docker client (fakes in tests).
    /// </summary>
    public static EngineException Answer(HttpStatusCode statusCode, string? responseBody)
    {
        var message = $"Docker API responded with status code='{statusCode}', response='{responseBody}'.";
        return statusCode == HttpStatusCode.NotFound
            ? new EngineNotFoundException(message, responseBody: responseBody)
            : new EngineException(IsTransientAnswer(statusCode, responseBody) ? EngineFailureKind.Transient : EngineFailureKind.Refused, message, null, statusCode, responseBody);
    }

    /// <summary>Runs one call to the Docker client, translating its failure (<see cref="Translate"/>).</summary>
    internal static async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc cref="CallAsync{T}"/>
    internal static async Task CallAsync(Func<Task> call, CancellationToken cancellationToken)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

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
