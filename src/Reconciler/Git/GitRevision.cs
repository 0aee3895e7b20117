namespace Berth.Reconciler.Git;

/// <summary>
/// One pass's view of the source: the fetched tip, its signature verdict, and its tree on disk.
/// <see cref="Error"/> says why there is no tree (fetch failed, signature refused, export refused).
/// </summary>
/// <param name="TreeDirectory">Owned by the source, which reuses it while the tip stays and deletes it when a new export replaces it: never delete it.</param>
public sealed record GitRevision(FetchResult Fetch, SignatureCheck? Signature, string? TreeDirectory, GitError? Error)
{
    /// <summary>True when the tree is the one exported for the same commit by an earlier pass (nothing was written).</summary>
    public bool TreeReused { get; init; }

    public bool Succeeded => Error is null && TreeDirectory is not null;

    /// <summary>The commit this revision is about (null only when nothing was ever fetched).</summary>
    public string? CommitSha => Fetch.Tip;
}

public static class GitSourcePass
{
    /// <summary>
    /// Fetch, verify and export in one call: what every pass needs, the daemon's (through
    /// <c>DesiredStateSource</c>) as well as <c>berth apply --git</c> and <c>berth plan --git</c>.
    /// The tree goes to a directory under <paramref name="exportRoot"/> (named after the commit plus a
    /// random part) that the source keeps and reuses while the tip stays (see <see cref="GitSource.ExportRevisionAsync"/>).
    /// Remembering failed commits between passes is not done here: the state store records them and
    /// <c>HostReconciler</c> does not re-apply a failed revision until the desired state changes.
    /// </summary>
    public static async Task<GitRevision> FetchVerifiedTreeAsync(this GitSource source, string exportRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var fetch = await source.FetchAsync(cancellationToken).ConfigureAwait(false);
        if (!fetch.Succeeded || fetch.Tip is null)
        {
            return new GitRevision(fetch, null, null, fetch.Error ?? new GitError(GitFailureReason.Unknown, "nothing was fetched"));
        }

        try
        {
            var signature = await source.VerifySignatureAsync(fetch.Tip, cancellationToken).ConfigureAwait(false);
            if (!signature.Accepted)
            {
                return new GitRevision(fetch, signature, null, signature.ToError());
            }

            var (tree, reused) = await source.ExportRevisionAsync(fetch.Tip, exportRoot, cancellationToken).ConfigureAwait(false);
            return new GitRevision(fetch, signature, tree, null) { TreeReused = reused };
        }
        catch (GitSourceException exception)
        {
            return new GitRevision(fetch, null, null, exception.Error);
        }
    }
}
