namespace Berth.Reconciler.Forge;

/// <summary>
/// The state of one status context on a commit, in berth's words. Each provider maps it to its own
/// vocabulary (GitLab says "running" and "failed"; GitHub and Gitea "pending" and "failure") and back.
/// </summary>
public enum CommitState
{
    /// <summary>The host is applying the commit.</summary>
    Pending,
    /// <summary>The host converged on the commit and its services are healthy.</summary>
    Success,
    /// <summary>The host refused the commit, a health gate failed or the rollout was rolled back.</summary>
    Failure,
    /// <summary>Read back only: a state berth never writes (GitHub/Gitea "error", GitLab "canceled", Gitea "warning").</summary>
    Error,
}

/// <summary>One status of one commit: what a host says about it under its context (e.g. "berth/web-1").</summary>
/// <param name="Sha">The full commit id.</param>
/// <param name="Context">The context (GitLab: the status's name). One per host, so hosts never overwrite each other.</param>
/// <param name="Description">One line for a person; providers shorten it to their limit.</param>
/// <param name="TargetUrl">Optional link shown with the status (http or https).</param>
public sealed record CommitStatus(string Sha, string Context, CommitState State, string Description, string? TargetUrl = null);

/// <summary>
/// The narrow interface to a git forge's commit statuses (GitHub, GitLab, Gitea/Forgejo). Writes one
/// status; reads back the latest status of each context of a commit (what a wave gate needs).
/// Implementations throw <see cref="ForgeApiException"/> for an answer that is not a success.
/// </summary>
public interface ICommitStatusProvider
{
    /// <summary>The provider's name for messages ("github", "gitlab", "gitea").</summary>
    string Name { get; }

    /// <summary>Sets <paramref name="status"/> on its commit; the newest status of a context is the one that counts.</summary>
    Task SetAsync(CommitStatus status, CancellationToken cancellationToken);

    /// <summary>The latest status of every context on <paramref name="sha"/>, sorted by context.</summary>
    Task<IReadOnlyList<CommitStatus>> ListAsync(string sha, CancellationToken cancellationToken);
}

/// <summary>A forge API call that did not succeed. Never carries the token.</summary>
public sealed class ForgeApiException : Exception
{
    public ForgeApiException(string message, int? statusCode, bool isTransient, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        IsTransient = isTransient;
    }

    public ForgeApiException()
    {
    }

    public ForgeApiException(string message) : base(message)
    {
    }

    public ForgeApiException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The HTTP status code; null when no answer came (connection refused, timeout).</summary>
    public int? StatusCode { get; }

    /// <summary>Worth retrying: no answer, 5xx, 429 (rate limit), 408. A 4xx (bad token, unknown repository) is not.</summary>
    public bool IsTransient { get; }

    public static bool IsTransientStatus(int statusCode) => statusCode is >= 500 or 429 or 408;
}
