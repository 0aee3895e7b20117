using Berth.Reconciler.Processes;
using LibGit2Sharp;

namespace Berth.Reconciler.Git;

/// <summary>
/// The network side of a source: <c>git ls-remote</c>, <c>git fetch</c> and the mirror's housekeeping,
/// each a killable child process with a hard time limit (see <see cref="BoundedProcess"/> for why the
/// system git and not LibGit2Sharp), and the translation of git's failures into <see cref="GitError"/>s
/// a person can act on, scrubbed of every secret.
/// </summary>
internal sealed class GitRemoteCommands(GitSourceOptions options, GitMirror mirror, BoundedProcess processes, string displayUrl)
{
    /// <summary>One ls-remote of the branch: its tip, or why there is none (<see cref="GitFailureReason.BranchNotFound"/> when absent).</summary>
    public async Task<(string? Tip, GitError? Error)> ReadRemoteTipAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var branchRef = $"refs/heads/{options.Branch}";
        GitCommandEnvironment environment;
        ProcessOutcome outcome;
        try
        {
            environment = GitCommandEnvironment.Create(options);
            // "--" ends the options: nothing from configuration can be read as a git option.
            // ls-remote has no exact match: its pattern matches whole trailing path components, and the
            // server sends every branch anyway. Anyone who can push a branch can make the listing as long
            // as they like (refs/heads/zz00001/refs/heads/main, ...), so only the line of the exact ref is
            // kept while reading: the bounded capture must never drop the one line we asked for.
            outcome = await RunGitAsync(["ls-remote", "--", options.Url, branchRef], environment, timeout, cancellationToken,
                keepStandardOutputLine: line => RefNameOf(line) == branchRef).ConfigureAwait(false);
        }
        catch (GitSourceException exception)
        {
            return (null, exception.Error);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or LibGit2SharpException)
        {
            return (null, new GitError(GitFailureReason.LocalSetupError, $"local mirror {mirror.RepositoryPath}: {exception.Message}"));
        }

        if (!outcome.Succeeded)
        {
            return (null, ToError(outcome, environment, "check the remote"));
        }

        var tip = outcome.StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => RefNameOf(line) == branchRef)
            .Select(line => line[..line.IndexOf('\t', StringComparison.Ordinal)].Trim())
            .FirstOrDefault();
        return tip is null
            ? (null, new GitError(GitFailureReason.BranchNotFound,
                $"branch '{options.Branch}' does not exist in {displayUrl} (deleted or misspelled); the host keeps its last applied state."))
            : (tip, null);
    }

    /// <summary>Fetches the branch into the mirror's tracking ref. <c>MirrorCorrupt</c>: git blamed the local repository, not the server.</summary>
    public async Task<(GitError? Error, bool MirrorCorrupt)> FetchAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return (TimeoutError("fetch"), false);
        }

        var environment = GitCommandEnvironment.Create(options);
        // "+": the branch tip is the truth, force-pushes included. No tags, no submodules, no FETCH_HEAD:
        // only the one ref we follow. fsckObjects: a malformed object (e.g. a tree entry named "..")
        // is refused at the door rather than discovered by the exporter. Except ".git" entries
        // (hasDotgit), which only harm a checkout: let them in so that the exporter refuses the commit
        // that has one, naming the path (fsck names only an object id), while history is fetched.
        var outcome = await RunGitAsync(
            ["-c", "fetch.fsckObjects=true", "-c", "fetch.fsck.hasDotgit=warn", "fetch", "--no-tags", "--no-recurse-submodules", "--no-write-fetch-head", "--no-auto-maintenance",
                "--", options.Url, $"+refs/heads/{options.Branch}:{mirror.TrackingRef}"],
            environment, timeout, cancellationToken).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            return (null, false);
        }

        // Objects refused by fsck never reached the mirror: it is not the one to blame.
        var error = ToError(outcome, environment, "fetch");
        return (error, !outcome.TimedOut && error.Reason != GitFailureReason.InvalidTree && GitErrorClassifier.IndicatesCorruptMirror(outcome.StandardError, mirror.RepositoryPath));
    }

    /// <summary>
    /// git gc --auto, bounded: it does nothing until loose objects pile up (6700 by default), then packs
    /// them, so months of small fetches do not fill the disk (LibGit2Sharp has no gc at all). Not
    /// detached: a detached gc would escape the time bound and the process-tree kill.
    /// </summary>
    /// <returns>Null on success, else what went wrong (worth a warning, never a failure).</returns>
    public async Task<string?> RunHousekeepingAsync(CancellationToken cancellationToken)
    {
        var outcome = await RunGitAsync(["-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"], GitCommandEnvironment.Local(), options.FetchTimeout, cancellationToken).ConfigureAwait(false);
        return outcome.Succeeded ? null : outcome.TimedOut ? "timed out" : GitErrorClassifier.Summarize(outcome.StandardError);
    }

    /// <summary>The ref name of an ls-remote line ("&lt;sha&gt;\t&lt;ref&gt;"), compared whole; null for any other line.</summary>
    private static string? RefNameOf(string line)
    {
        var columns = line.Split('\t');
        return columns.Length == 2 ? columns[1].Trim() : null;
    }

    private Task<ProcessOutcome> RunGitAsync(
        IReadOnlyList<string> arguments, GitCommandEnvironment environment, TimeSpan timeout, CancellationToken cancellationToken,
        Func<string, bool>? keepStandardOutputLine = null)
    {
        // --git-dir: git reads the mirror's config and nothing found by walking up from a working directory.
        return processes.RunToolAsync(
            new ProcessRequest("git", ["--git-dir", mirror.RepositoryPath, .. arguments])
            {
                WorkingDirectory = mirror.RepositoryPath,
                Environment = environment.Variables,
                Timeout = timeout,
                KeepStandardOutputLine = keepStandardOutputLine,
            },
            cancellationToken);
    }

    private GitError ToError(ProcessOutcome outcome, GitCommandEnvironment environment, string operation)
    {
        if (outcome.TimedOut)
        {
            return TimeoutError(operation);
        }

        var reason = GitErrorClassifier.Classify(outcome.StandardError);
        var details = environment.Scrub(GitErrorClassifier.Summarize(outcome.StandardError)).TrimEnd('.');
        var advice = reason switch
        {
            GitFailureReason.AuthenticationFailed => " Check the credentials files (token, password or deploy key) and the key's access to the repository.",
            GitFailureReason.HostKeyRejected => " The server's host key is not in credentials.knownHostsFile (or changed); add it after checking its fingerprint out of band.",
            GitFailureReason.RepositoryNotFound => " Check git.url (a private repository also looks missing to wrong credentials).",
            GitFailureReason.CredentialsUnreadable => " Check the key file exists and has mode 0600.",
            GitFailureReason.CertificateRejected => " The server's TLS certificate is not trusted by this host's CA store.",
            GitFailureReason.LocalSetupError => $" Check that {options.CacheDirectory} is writable and has free space.",
            GitFailureReason.InvalidTree => " The branch must be fixed (the objects named are in its history); berth keeps what runs until it is.",
            _ => "",
        };
        var what = reason switch
        {
            GitFailureReason.AuthenticationFailed => "the server refused the credentials",
            GitFailureReason.HostKeyRejected => "the server's SSH host key is not trusted",
            GitFailureReason.CertificateRejected => "the server's TLS certificate is not trusted",
            GitFailureReason.RepositoryNotFound => "the repository was not found",
            GitFailureReason.CredentialsUnreadable => "the deploy key cannot be used",
            GitFailureReason.NetworkError => "network error",
            GitFailureReason.ServerError => "server error",
            GitFailureReason.Timeout => "timed out",
            GitFailureReason.LocalSetupError => "local problem",
            GitFailureReason.InvalidTree => "git refused objects of the branch as malformed (fsck)",
            _ => "git failed",
        };
        return new GitError(reason, $"cannot {operation} {displayUrl}: {what} (git exit {outcome.ExitCode}: {details}).{advice}");
    }

    /// <summary>
    /// A fetch killed while objects were still arriving: the server answers, the repository is just too
    /// large (or the link too slow) for the time limit, and every retry would end the same way. Still
    /// transient (a slow link may recover), but the message says what a person can change.
    /// </summary>
    public GitError OutgrownTimeoutError(long receivedBytes) => new(
        GitFailureReason.Timeout,
        $"cannot fetch {displayUrl}: the download was still running when source.fetchTimeout ({options.FetchTimeout.TotalSeconds:0.#} s) expired "
        + $"({FormatBytes(receivedBytes)} received, removed again): the repository outgrows source.fetchTimeout on this link. "
        + "Raise source.fetchTimeout (up to 1h); until then every retry downloads the same part and is killed again.");

    private static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? $"{bytes / (1024.0 * 1024.0):0.#} MiB"
        : $"{bytes / 1024.0:0.#} KiB";

    public GitError TimeoutError(string operation) => new(
        GitFailureReason.Timeout,
        $"cannot {operation} {displayUrl}: no answer within {options.FetchTimeout.TotalSeconds:0.#} s (source.fetchTimeout); the git process was killed and will be retried.");
}
