using Berth.Reconciler.Processes;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;

namespace Berth.Reconciler.Git;

/// <summary>
/// Follows one branch of one repository: a cheap remote check per idle poll, a fetch only when the
/// tip moved, signature verification, and export of a commit's tree into a fresh directory.
/// </summary>
/// <remarks>
/// <para>
/// Who does what. Everything that talks to a server (<c>ls-remote</c>, <c>fetch</c>) runs the system
/// <c>git</c> as a child process: it can be killed, so every network call is bounded by
/// <see cref="GitSourceOptions.FetchTimeout"/> whatever the server does, and it speaks every transport
/// (LibGit2Sharp 0.32 has no timeout or cancellation, needs a wrapper script for SSH, and breaks on
/// shallow fetches). Local reads (tip, commit, tree, signature payload) use LibGit2Sharp on the bare
/// mirror: no process per call, and a commit's tree is read from the object database, never from a
/// working directory.
/// </para>
/// <para>
/// Network failures come back as results with a <see cref="GitError"/> (transient or user-must-fix),
/// never as exceptions, because they are expected. Cancellation by the caller throws
/// <see cref="OperationCanceledException"/> after the git process tree is killed. Every operation is
/// serialised: one mirror, one operation at a time.
/// </para>
/// </remarks>
public sealed class GitSource : IDisposable
{
    private readonly TimeProvider timeProvider;
    private readonly ILogger<GitSource> logger;
    private readonly BoundedProcess processes;
    private readonly GitMirror mirror;
    private readonly GitRemoteCommands remote;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly RevisionExports exports = new();

    public GitSource(GitSourceOptions options, TimeProvider timeProvider, ILogger<GitSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid git source options:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(error => "  - " + error)), nameof(options));
        }

        Options = options;
        this.timeProvider = timeProvider;
        this.logger = logger;
        processes = new BoundedProcess(timeProvider);
        mirror = new GitMirror(options.CacheDirectory, options.Branch);
        DisplayUrl = GitRemoteUrl.ScrubUserInfo(options.Url);
        remote = new GitRemoteCommands(options, mirror, processes, DisplayUrl);
    }

    public GitSourceOptions Options { get; }

    /// <summary>The URL as it may appear in logs and status (no credentials).</summary>
    public string DisplayUrl { get; }

    /// <summary>
    /// The cheap idle poll: one <c>git ls-remote</c> of the branch, compared with the mirror's tip.
    /// No objects are fetched. A missing branch is <see cref="GitFailureReason.BranchNotFound"/>.
    /// </summary>
    public async Task<RemoteCheck> CheckRemoteAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = timeProvider.GetTimestamp();
            var (remoteTip, error) = await PrepareAndReadRemoteTipAsync(cancellationToken).ConfigureAwait(false);
            var localTip = SafeReadTip();
            var check = new RemoteCheck { RemoteTip = remoteTip, LocalTip = localTip, Error = error, Duration = timeProvider.GetElapsedTime(started) };
            if (error is null)
            {
                GitSourceLog.RemoteChecked(logger, DisplayUrl, Options.Branch, remoteTip, localTip, check.HasChanged, (long)check.Duration.TotalMilliseconds);
            }
            else
            {
                GitSourceLog.OperationFailed(logger, "remote check", DisplayUrl, Options.Branch, error.Reason, error.IsTransient, error.Message);
            }

            return check;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Brings the mirror to the remote branch tip. Fetches only when the tip moved (an idle poll costs
    /// one ls-remote); follows force-pushes and reports them. The whole call, remote check and fetch
    /// together, is bounded by <see cref="GitSourceOptions.FetchTimeout"/> plus a few seconds for the kill.
    /// </summary>
    public async Task<FetchResult> FetchAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = timeProvider.GetTimestamp();
        string? previousTip = null;
        try
        {
            PrepareMirror();
            previousTip = mirror.ReadTip();

            var (remoteTip, checkError) = await remote.ReadRemoteTipAsync(Options.FetchTimeout, cancellationToken).ConfigureAwait(false);
            if (checkError is not null)
            {
                return Failed("fetch", previousTip, checkError, started);
            }

            if (remoteTip == previousTip && previousTip is not null && mirror.HasCommit(previousTip))
            {
                GitSourceLog.UpToDate(logger, DisplayUrl, Options.Branch, previousTip);
                return new FetchResult
                {
                    PreviousTip = previousTip, Tip = previousTip, Fetched = false,
                    Commit = mirror.ReadCommitInfo(previousTip), Duration = timeProvider.GetElapsedTime(started),
                };
            }

            GitSourceLog.Fetching(logger, DisplayUrl, Options.Branch, previousTip, remoteTip);

            // One deadline for the whole call: the fetch gets what the remote check left of it.
            var remaining = Options.FetchTimeout - timeProvider.GetElapsedTime(started);
            var (fetchError, mirrorCorrupt) = await remote.FetchAsync(remaining, cancellationToken).ConfigureAwait(false);
            if (mirrorCorrupt)
            {
                // The mirror is only a cache: a corrupt one would fail every fetch forever. Reset it; the
                // next fetch downloads everything (a force-push cannot be detected across the reset).
                mirror.Delete();
                GitSourceLog.MirrorRecreated(logger, mirror.RepositoryPath);
                return Failed("fetch", null, fetchError! with
                {
                    Reason = GitFailureReason.Unknown,
                    Message = fetchError.Message + " The local mirror was corrupt and has been reset; the next fetch starts from scratch.",
                }, started);
            }

            if (fetchError is { Reason: GitFailureReason.Timeout })
            {
                // The killed git leaves what it had received; the next attempt starts over anyway.
                var (_, partialBytes) = RemovePartialDownloads();
                if (partialBytes > 0)
                {
                    return Failed("fetch", previousTip, remote.OutgrownTimeoutError(partialBytes), started);
                }
            }

            if (fetchError is not null)
            {
                return Failed("fetch", previousTip, fetchError, started);
            }

            var tip = mirror.ReadTip();
            if (tip is null)
            {
                return Failed("fetch", previousTip, new GitError(GitFailureReason.Unknown, $"git fetch succeeded but {mirror.TrackingRef} is missing afterwards."), started);
            }

            // The tip is the truth: a tip that does not descend from the previous one is followed, and said.
            // A previous tip that is no longer in the mirror was pruned as unreachable: not an ancestor either.
            var forcePushed = previousTip is not null && tip != previousTip && mirror.IsAncestor(previousTip, tip) != true;
            if (forcePushed)
            {
                GitSourceLog.ForcePushDetected(logger, DisplayUrl, Options.Branch, previousTip!, tip);
            }

            var commit = mirror.ReadCommitInfo(tip);
            var duration = timeProvider.GetElapsedTime(started);
            GitSourceLog.Fetched(logger, DisplayUrl, Options.Branch, tip, commit.Summary, $"{commit.AuthorName} <{commit.AuthorEmail}>", (long)duration.TotalMilliseconds);
            if (await remote.RunHousekeepingAsync(cancellationToken).ConfigureAwait(false) is { } housekeepingProblem)
            {
                GitSourceLog.MaintenanceFailed(logger, mirror.RepositoryPath, housekeepingProblem);
            }

            return new FetchResult
            {
                PreviousTip = previousTip, Tip = tip, Fetched = true, ForcePushed = forcePushed, Commit = commit, Duration = duration,
            };
        }
        catch (GitSourceException exception)
        {
            return Failed("fetch", previousTip, exception.Error, started);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or LibGit2SharpException)
        {
            return Failed("fetch", previousTip, new GitError(GitFailureReason.LocalSetupError, $"local mirror {mirror.RepositoryPath}: {exception.Message}"), started);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Checks the commit's signature against <see cref="GitSourceOptions.Signatures"/>. Without a policy
    /// the answer is <see cref="SignatureStatus.NotRequired"/>. Only <see cref="SignatureCheck.Accepted"/>
    /// commits may be applied; a refused tip leaves the host on its last applied commit.
    /// </summary>
    /// <exception cref="GitSourceException">The commit is not in the mirror (<see cref="GitFailureReason.CommitNotFound"/>).</exception>
    public async Task<SignatureCheck> VerifySignatureAsync(string commitSha, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                using var repository = mirror.Open();
                // Looked up even without a policy: an unknown commit is an error either way.
                GitMirror.LookupCommit(repository, commitSha);
            }
            catch (LibGit2SharpException exception)
            {
                throw LocalMirrorError(exception);
            }

            if (Options.Signatures is null)
            {
                return SignatureCheck.NotRequired(commitSha);
            }

            var extracted = await CommitSignatureVerifier.ExtractAsync(processes, mirror.RepositoryPath, commitSha, Options.FetchTimeout, cancellationToken).ConfigureAwait(false);

            var check = extracted is { } signed
                ? await new CommitSignatureVerifier(Options.Signatures, Options.CacheDirectory, processes, Options.FetchTimeout)
                    .VerifyAsync(commitSha, signed.Signature, signed.SignedData, cancellationToken).ConfigureAwait(false)
                : SignatureCheck.Unsigned(commitSha);

            if (check.Accepted)
            {
                GitSourceLog.SignatureVerified(logger, commitSha, check.Reason ?? "");
            }
            else
            {
                GitSourceLog.SignatureRefused(logger, commitSha, check.Status, check.Reason ?? "");
            }

            return check;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Writes the commit's tree under <see cref="GitSourceOptions.SubPath"/> into <paramref name="targetDirectory"/>,
    /// which must not exist or be empty. Exactly the commit's bytes: no working directory is involved.
    /// </summary>
    /// <returns>The full path of the written directory.</returns>
    /// <exception cref="GitSourceException">Unknown commit, missing sub-path, or a tree entry that would escape the directory.</exception>
    public async Task<string> ExportTreeAsync(string commitSha, string targetDirectory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetDirectory);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Local disk work in blocking LibGit2Sharp calls: off the caller's thread, cancellable between files.
            var target = Path.GetFullPath(targetDirectory);
            TreeExporter.ExportSummary summary;
            try
            {
                summary = await Task.Run(() =>
                {
                    using var repository = mirror.Open();
                    return TreeExporter.Export(repository, commitSha, Options.SubPath, target, Options.ExportLimits, cancellationToken);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is LibGit2SharpException or IOException or UnauthorizedAccessException)
            {
                throw LocalMirrorError(exception);
            }

            GitSourceLog.TreeExported(logger, commitSha, Options.SubPath, target, summary.Files, summary.Directories, summary.Bytes);
            return target;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The commit's tree under <paramref name="exportRoot"/>: the directory this source exported for the
    /// same commit before (an unchanged tip costs no export), or a new export that replaces it. The
    /// directory belongs to the source: it stays until a later export replaces it, so callers must not
    /// delete it. The first call for a root removes what earlier processes left there.
    /// </summary>
    /// <returns>The directory, and whether it was reused.</returns>
    /// <exception cref="GitSourceException">As <see cref="ExportTreeAsync"/>; a refused tree is refused again without being written.</exception>
    public async Task<(string Directory, bool Reused)> ExportRevisionAsync(string commitSha, string exportRoot, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(exportRoot);
        var root = Path.GetFullPath(exportRoot);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                if (exports.RemoveLeftovers(root) is { Count: > 0 } removed)
                {
                    GitSourceLog.ExportLeftoversRemoved(logger, root, removed.Count);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw LocalMirrorError(exception);
            }

            if (exports.TryReuse(root, commitSha, Options.SubPath, Options.ExportLimits, out var reused, out var refusal))
            {
                return refusal is null ? (reused!, true) : throw new GitSourceException(refusal);
            }
        }
        finally
        {
            gate.Release();
        }

        string directory;
        try
        {
            directory = await ExportTreeAsync(commitSha, Path.Combine(root, RevisionExports.NewName(commitSha)), cancellationToken).ConfigureAwait(false);
        }
        catch (GitSourceException exception) when (exception.Error.Reason == GitFailureReason.InvalidTree)
        {
            // The same commit, sub-path and limits give the same verdict: not worth walking again each pass.
            await RememberAsync(root, commitSha, null, exception.Error).ConfigureAwait(false);
            throw;
        }

        await RememberAsync(root, commitSha, directory, null).ConfigureAwait(false);
        return (directory, false);
    }

    private async Task RememberAsync(string root, string commitSha, string? directory, GitError? refusal)
    {
        await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            exports.Remember(root, commitSha, Options.SubPath, Options.ExportLimits, directory, refusal);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw LocalMirrorError(exception);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    private void PrepareMirror()
    {
        if (mirror.EnsureCreated())
        {
            GitSourceLog.MirrorRecreated(logger, mirror.RepositoryPath);
        }

        var removedLocks = mirror.RemoveStaleLocks();
        if (removedLocks.Count > 0)
        {
            GitSourceLog.StaleLocksRemoved(logger, mirror.RepositoryPath, string.Join(", ", removedLocks));
        }

        // At start too: a berth killed (or a host powered off) in the middle of a fetch left its download.
        RemovePartialDownloads();

        var previousUrl = mirror.BindToSource(DisplayUrl);
        if (previousUrl is not null)
        {
            GitSourceLog.SourceUrlChanged(logger, previousUrl, DisplayUrl);
        }
    }

    private (IReadOnlyList<string> Files, long Bytes) RemovePartialDownloads()
    {
        var removed = mirror.RemovePartialDownloads();
        if (removed.Files.Count > 0)
        {
            GitSourceLog.PartialDownloadRemoved(logger, mirror.RepositoryPath, removed.Bytes, string.Join(", ", removed.Files));
        }

        return removed;
    }

    private string? SafeReadTip()
    {
        try
        {
            return mirror.ReadTip();
        }
        catch (Exception exception) when (exception is IOException or LibGit2SharpException)
        {
            return null;
        }
    }

    private async Task<(string? Tip, GitError? Error)> PrepareAndReadRemoteTipAsync(CancellationToken cancellationToken)
    {
        try
        {
            PrepareMirror();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or LibGit2SharpException)
        {
            return (null, new GitError(GitFailureReason.LocalSetupError, $"local mirror {mirror.RepositoryPath}: {exception.Message}"));
        }

        return await remote.ReadRemoteTipAsync(Options.FetchTimeout, cancellationToken).ConfigureAwait(false);
    }

    private GitSourceException LocalMirrorError(Exception exception) =>
        new(new GitError(GitFailureReason.LocalSetupError, $"local mirror {mirror.RepositoryPath} or export directory: {exception.Message}"), exception);

    private FetchResult Failed(string operation, string? previousTip, GitError error, long started)
    {
        GitSourceLog.OperationFailed(logger, operation, DisplayUrl, Options.Branch, error.Reason, error.IsTransient, error.Message);
        return new FetchResult { PreviousTip = previousTip, Tip = previousTip, Error = error, Duration = timeProvider.GetElapsedTime(started) };
    }
}
