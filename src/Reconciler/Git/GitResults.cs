namespace Berth.Reconciler.Git;

/// <summary>
/// Why a git operation failed. The daemon treats the two groups differently (Flux's habit):
/// transient reasons are retried with backoff; the others wait for a person (see <see cref="GitError.IsTransient"/>).
/// </summary>
public enum GitFailureReason
{
    // ---- transient: retry with backoff ----

    /// <summary>The operation hit <see cref="GitSourceOptions.FetchTimeout"/>; the git process tree was killed.</summary>
    Timeout,

    /// <summary>DNS, refused or reset connections, dropped transfers.</summary>
    NetworkError,

    /// <summary>The server answered with a 5xx or broke the protocol.</summary>
    ServerError,

    /// <summary>git failed in a way not recognised above; retried, and the message says what git said.</summary>
    Unknown,

    // ---- a person must fix: no point retrying until configuration or the repository changes ----

    /// <summary>Token, password or deploy key refused (HTTP 401/403, ssh "Permission denied").</summary>
    AuthenticationFailed,

    /// <summary>The server's SSH host key is not in the known_hosts file, or differs from it.</summary>
    HostKeyRejected,

    /// <summary>The server's TLS certificate does not verify against the host's CA store.</summary>
    CertificateRejected,

    /// <summary>The server says there is no such repository (or hides it from these credentials).</summary>
    RepositoryNotFound,

    /// <summary>The repository exists but the branch does not (deleted or misspelled).</summary>
    BranchNotFound,

    /// <summary>A credential file is missing or unreadable, or the key file has unsafe permissions.</summary>
    CredentialsUnreadable,

    /// <summary>The cache directory cannot be written, or a required tool (git, ssh, gpg) is missing.</summary>
    LocalSetupError,

    /// <summary>The commit is unsigned or its signature does not verify against the configured keys.</summary>
    SignatureRefused,

    /// <summary>The commit is not in the local mirror (never fetched, or not a commit).</summary>
    CommitNotFound,

    /// <summary>
    /// The commit is refused for its tree: the sub-path is missing, an entry would escape the export
    /// directory or is one berth refuses (".git", a submodule, a Git LFS pointer, a link to its own
    /// directory), the tree is over <see cref="GitSourceOptions.ExportLimits"/>, or git refused the
    /// branch's objects as malformed (fsck).
    /// </summary>
    InvalidTree,
}

/// <summary>A failed git operation: the reason decides retry vs wait; the message is for a person and never holds a secret.</summary>
public sealed record GitError(GitFailureReason Reason, string Message)
{
    /// <summary>True when retrying later may succeed without anybody changing anything.</summary>
    public bool IsTransient => Reason is GitFailureReason.Timeout or GitFailureReason.NetworkError
        or GitFailureReason.ServerError or GitFailureReason.Unknown;

    public override string ToString() => $"{Reason}: {Message}";
}

/// <summary>Thrown by operations that return a value (export, commit lookup) when they cannot; carries the same <see cref="GitError"/>.</summary>
public sealed class GitSourceException(GitError error, Exception? innerException = null)
    : Exception(error.Message, innerException)
{
    public GitError Error { get; } = error;
}

/// <summary>Who and what a commit is: enough for the status ("applied abc1234 'bump nginx' by Alice").</summary>
public sealed record CommitInfo(
    string Sha,
    string Summary,
    string AuthorName,
    string AuthorEmail,
    DateTimeOffset AuthorDate,
    DateTimeOffset CommitterDate)
{
    public string ShortSha => Sha.Length > 12 ? Sha[..12] : Sha;
}

/// <summary>The answer of the cheap idle poll: the remote branch tip compared with the mirror's, no objects fetched.</summary>
public sealed record RemoteCheck
{
    /// <summary>The remote branch tip; null when the check failed.</summary>
    public string? RemoteTip { get; init; }

    /// <summary>The tip the local mirror holds from the last successful fetch; null before the first.</summary>
    public string? LocalTip { get; init; }

    public GitError? Error { get; init; }

    /// <summary>How long the check took (one ls-remote).</summary>
    public TimeSpan Duration { get; init; }

    public bool Succeeded => Error is null;

    /// <summary>True when a fetch would bring a different commit.</summary>
    public bool HasChanged => Succeeded && !string.Equals(RemoteTip, LocalTip, StringComparison.Ordinal);
}

/// <summary>The outcome of <see cref="GitSource.FetchAsync"/>: the branch tip now in the mirror, and how it got there.</summary>
public sealed record FetchResult
{
    /// <summary>The tip the mirror held before this call; null on the first fetch.</summary>
    public string? PreviousTip { get; init; }

    /// <summary>The branch tip now in the mirror. On failure, the last good one (may be null): the host keeps running it.</summary>
    public string? Tip { get; init; }

    /// <summary>True when objects were downloaded; false when the remote tip equalled the mirror's (an idle poll).</summary>
    public bool Fetched { get; init; }

    /// <summary>True when the new tip does not descend from the previous one: a force-push or history rewrite. Followed, and logged.</summary>
    public bool ForcePushed { get; init; }

    /// <summary>The tip commit (summary, author, dates); null on failure.</summary>
    public CommitInfo? Commit { get; init; }

    public GitError? Error { get; init; }

    /// <summary>Wall time of the whole call (remote check plus fetch).</summary>
    public TimeSpan Duration { get; init; }

    public bool Succeeded => Error is null;

    /// <summary>True when the tip differs from the previous one (first fetch included).</summary>
    public bool TipChanged => Succeeded && !string.Equals(PreviousTip, Tip, StringComparison.Ordinal);
}

public enum SignatureStatus
{
    /// <summary>The signature verifies against a configured key.</summary>
    Verified,

    /// <summary>The commit carries no signature.</summary>
    Unsigned,

    /// <summary>A signature is present but does not verify against any configured key (or cannot be checked).</summary>
    Invalid,

    /// <summary>No <see cref="SignaturePolicy"/> is configured: nothing was checked.</summary>
    NotRequired,
}

/// <summary>The verdict on a commit's signature. Only <see cref="Accepted"/> commits may be applied.</summary>
public sealed record SignatureCheck(string CommitSha, SignatureStatus Status, string? Signer, string? Reason)
{
    public bool Accepted => Status is SignatureStatus.Verified or SignatureStatus.NotRequired;

    /// <summary>The refusal as an error the status can show; null when accepted.</summary>
    public GitError? ToError() => Accepted ? null : new GitError(GitFailureReason.SignatureRefused, Reason ?? Status.ToString());

    internal static SignatureCheck NotRequired(string sha) => new(sha, SignatureStatus.NotRequired, null, "signatures are not required");

    internal static SignatureCheck Unsigned(string sha) => new(sha, SignatureStatus.Unsigned, null, $"commit {Short(sha)} is not signed; signatures are required");

    internal static SignatureCheck Invalid(string sha, string reason) => new(sha, SignatureStatus.Invalid, null, $"commit {Short(sha)}: {reason}");

    internal static SignatureCheck Verified(string sha, string signer, string how) => new(sha, SignatureStatus.Verified, signer, how);

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
