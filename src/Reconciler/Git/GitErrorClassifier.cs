namespace Berth.Reconciler.Git;

/// <summary>
/// Sorts a failed git command into a <see cref="GitFailureReason"/> from its stderr (run with LC_ALL=C).
/// </summary>
/// <remarks>
/// Order matters: the specific, user-must-fix causes are checked before the generic network ones,
/// because git follows e.g. "Host key verification failed." with the generic "Could not read from
/// remote repository." Anything unrecognised is <see cref="GitFailureReason.Unknown"/>, which is
/// retried: a new message from a new git version must not stall a host forever.
/// </remarks>
internal static class GitErrorClassifier
{
    private static readonly (GitFailureReason Reason, string[] Markers)[] Rules =
    [
        // ssh's and curl's own time limits (ConnectTimeout covers ssh's banner exchange too) can fire
        // just before our kill does: the same situation, so the same reason.
        (GitFailureReason.Timeout,
        [
            "Connection timed out", "Operation timed out", "timed out during banner exchange",
        ]),
        (GitFailureReason.HostKeyRejected,
        [
            "Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED", "No ED25519 host key is known",
            "No RSA host key is known", "No ECDSA host key is known", "host key for", "Host key for",
        ]),
        (GitFailureReason.CredentialsUnreadable,
        [
            "UNPROTECTED PRIVATE KEY FILE", "bad permissions", "not accessible", "Load key", "no such identity", "invalid format",
        ]),
        (GitFailureReason.LocalSetupError,
        [
            "insufficient permission for adding an object", "unable to create temporary file", "Read-only file system",
            "No space left on device", "Disk quota exceeded",
        ]),
        (GitFailureReason.CertificateRejected,
        [
            "SSL certificate problem", "server certificate verification failed", "certificate verify failed",
            "unable to get local issuer certificate", "self-signed certificate", "self signed certificate",
        ]),
        (GitFailureReason.AuthenticationFailed,
        [
            "Authentication failed", "could not read Username", "could not read Password", "terminal prompts disabled",
            "Permission denied (", "Permission denied, please try again", "The requested URL returned error: 401", "The requested URL returned error: 403",
            "HTTP Basic: Access denied", "Invalid username or password", "access denied", "Access denied",
        ]),
        (GitFailureReason.RepositoryNotFound,
        [
            "does not appear to be a git repository", "no such repository", "Repository not found", "repository not found",
            "not a git repository", "The requested URL returned error: 404", "No such file or directory",
            "access denied or repository not exported", "not found: did you run git update-server-info",
        ]),
        // fsckObjects refused what the server sent (a tree entry named "..", a malformed commit): the
        // same objects come back on every retry, so a person must fix the branch. Before ServerError,
        // because git follows with "index-pack failed".
        (GitFailureReason.InvalidTree,
        [
            "fsck error in packed object", "fsck error in pack objects", "object fails fsck",
        ]),
        (GitFailureReason.ServerError,
        [
            "The requested URL returned error: 5", "RPC failed", "protocol error", "expected flush after",
            "the remote end hung up unexpectedly", "early EOF", "index-pack failed", "unexpected disconnect",
        ]),
        (GitFailureReason.NetworkError,
        [
            "Could not resolve host", "Could not resolve hostname", "Connection refused",
            "Connection reset", "Network is unreachable", "No route to host", "Failed to connect", "unable to connect",
            "Temporary failure in name resolution", "SSL", "TLS", "Connection closed",
            "kex_exchange_identification", "Could not read from remote repository",
        ]),
    ];

    public static GitFailureReason Classify(string standardError)
    {
        foreach (var (reason, markers) in Rules)
        {
            if (markers.Any(marker => standardError.Contains(marker, StringComparison.Ordinal)))
            {
                return reason;
            }
        }

        return GitFailureReason.Unknown;
    }

    /// <summary>
    /// True when git says the local repository, not the server, is broken (missing or corrupt objects a
    /// ref points to, or the mirror no longer a repository at all: a garbage HEAD, which libgit2's
    /// <c>Repository.IsValid</c> still accepts). Checked only for fetches into the mirror.
    /// </summary>
    /// <param name="mirrorPath">
    /// The mirror's path: "not a git repository" about it blames the mirror; about any other path (a source
    /// reached by path that is gone) it blames the server (issue #20: without this the daemon reported the
    /// source missing forever and never rebuilt the mirror).
    /// </param>
    public static bool IndicatesCorruptMirror(string standardError, string? mirrorPath = null) =>
        new[] { "fatal: bad object", "did not send all necessary objects", "is corrupt", "is empty", "does not match index" }
            .Any(marker => standardError.Contains(marker, StringComparison.Ordinal))
        || (mirrorPath is not null && standardError.Contains($"not a git repository: '{mirrorPath}'", StringComparison.Ordinal));

    /// <summary>The lines of stderr worth showing a person: git's own "fatal:"/"error:" lines first, else the last lines.</summary>
    public static string Summarize(string standardError)
    {
        var lines = standardError
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith("hint:", StringComparison.Ordinal))
            .ToList();
        var important = lines
            .Where(line => line.StartsWith("fatal:", StringComparison.Ordinal) || line.StartsWith("error:", StringComparison.Ordinal)
                || line.Contains("denied", StringComparison.OrdinalIgnoreCase) || line.Contains("Host key", StringComparison.Ordinal)
                || line.Contains("host key", StringComparison.Ordinal))
            .ToList();
        var chosen = (important.Count > 0 ? important : lines).TakeLast(4);
        var text = string.Join(" | ", chosen);
        return text.Length > 600 ? text[..600] + "..." : text;
    }
}
