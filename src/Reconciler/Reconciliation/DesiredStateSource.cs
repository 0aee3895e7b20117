using System.Collections.Immutable;
using Berth.Reconciler.Git;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Reconciliation;

/// <summary>Where the desired state comes from: a directory (no git) or a git branch.</summary>
public abstract record DesiredStateOrigin
{
    public sealed record Directory(string Path) : DesiredStateOrigin;

    public sealed record Git(GitSourceOptions Options) : DesiredStateOrigin;
}

/// <summary>
/// The desired state of one host at one revision, or why there is none. A git revision's exported tree
/// belongs to the <see cref="GitSource"/>, which reuses it while the tip stays: nothing to dispose.
/// </summary>
/// <param name="Revision">The commit sha (git), or a content hash of the desired state (directory).</param>
/// <param name="SpecErrors">The commit is invalid: a person must fix it (Stalled, keep what runs).</param>
/// <param name="SourceError">The source could not be read (git error; transient or not, see <see cref="GitError.IsTransient"/>).</param>
public sealed record LoadedDesiredState(
    DesiredState? State,
    string? Revision,
    bool HostInInventory,
    ImmutableArray<SpecError> SpecErrors,
    GitError? SourceError)
{
    /// <summary>What the git source did in this load (fetch, signature verdict), for metrics and status; null for a directory.</summary>
    public GitRevision? Git { get; init; }

    /// <summary>
    /// A git revision's files, to put into the live directory when (and only when) it is applied:
    /// pass them to <see cref="HostReconciler.ApplyAsync"/>. Null for a directory source, whose files
    /// are used where they are.
    /// </summary>
    public RevisionFiles? Files { get; init; }

    /// <summary>Why the host runs nothing (it is not in the inventory), for plan, apply and the daemon to refuse; null when it is.</summary>
    public string? HostNotInInventory { get; init; }

    public bool Succeeded => State is not null && SourceError is null && SpecErrors.IsEmpty;
}

/// <summary>Loads a host's desired state from its origin: fetch (git), then load and validate the whole tree.</summary>
public static class DesiredStateSource
{
    /// <param name="workDirectory">
    /// For git: exports go under `trees/` (the source keeps the newest and reuses it while the tip stays), from which the commit is loaded as if it lived in
    /// the live directory `repo/` (see <see cref="LiveTree"/>), which loading never changes: only an
    /// apply puts the files there.
    /// </param>
    /// <param name="exportDirectory">Where git exports go instead of `trees/` under the work directory (a preview that must not write there).</param>
    /// <param name="cache">The daemon's: a tip that did not move is loaded again only when a host input changed.</param>
    public static async Task<LoadedDesiredState> LoadAsync(
        DesiredStateOrigin origin, string host, SpecLoadOptions options, GitSource? gitSource, string workDirectory, CancellationToken cancellationToken,
        string? exportDirectory = null, DesiredStateCache? cache = null)
    {
        switch (origin)
        {
            case DesiredStateOrigin.Directory directory:
            {
                var result = SpecLoader.LoadHost(directory.Path, host, options);
                var revision = result.State is { } state ? DesiredStateRevision.Compute(state) : null;
                return new LoadedDesiredState(result.State, revision, result.HostInInventory, result.Errors, null) { HostNotInInventory = result.HostNotInInventoryMessage };
            }

            case DesiredStateOrigin.Git:
            {
                ArgumentNullException.ThrowIfNull(gitSource);
                var exportRoot = exportDirectory ?? Path.Combine(workDirectory, "trees");
                System.IO.Directory.CreateDirectory(exportRoot);
                var fetched = await gitSource.FetchVerifiedTreeAsync(exportRoot, cancellationToken).ConfigureAwait(false);
                if (!fetched.Succeeded)
                {
                    return new LoadedDesiredState(null, fetched.CommitSha, true, [], fetched.Error) { Git = fetched };
                }

                // The desired state is read from the commit's exported tree, never from a working
                // directory, but relative bind sources resolve against the stable live directory the
                // containers will use (the path is part of the config hash). Loading (and so `plan`)
                // leaves that directory alone: an apply switches the files in (RevisionFiles).
                var liveTree = new LiveTree(workDirectory);
                var tree = fetched.TreeDirectory!;
                HostLoadResult Load() => SpecLoader.LoadHost(tree, host, options, hostDirectory: liveTree.Directory);
                var result = cache is null ? Load() : cache.Load(fetched.CommitSha!, tree, liveTree.Directory, host, options, Load);
                return new LoadedDesiredState(result.State, fetched.CommitSha, result.HostInInventory, result.Errors, null)
                {
                    Git = fetched,
                    HostNotInInventory = result.HostNotInInventoryMessage,
                    Files = result.State is null ? null : new RevisionFiles(liveTree, fetched.TreeDirectory!),
                };
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(origin), origin, "unknown origin");
        }
    }

    /// <summary>
    /// A commit already in the mirror (no fetch), verified and loaded like the tip: what a host of a later
    /// wave applies while the tip waits for the earlier waves (docs/fleet.md, "Waves"). Its export goes to
    /// its own root (`trees-held/`), so the tip's export is not replaced on every held pass.
    /// </summary>
    /// <returns>The state, or why there is none (<see cref="LoadedDesiredState.SourceError"/>: e.g. a force-push pruned the commit from the mirror).</returns>
    public static async Task<LoadedDesiredState> LoadGitCommitAsync(
        GitSource gitSource, string commitSha, string host, SpecLoadOptions options, string workDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gitSource);
        var exportRoot = Path.Combine(workDirectory, "trees-held");
        System.IO.Directory.CreateDirectory(exportRoot);
        string tree;
        try
        {
            var signature = await gitSource.VerifySignatureAsync(commitSha, cancellationToken).ConfigureAwait(false);
            if (!signature.Accepted)
            {
                return new LoadedDesiredState(null, commitSha, true, [], signature.ToError());
            }

            (tree, _) = await gitSource.ExportRevisionAsync(commitSha, exportRoot, cancellationToken).ConfigureAwait(false);
        }
        catch (GitSourceException exception)
        {
            return new LoadedDesiredState(null, commitSha, true, [], exception.Error);
        }

        var liveTree = new LiveTree(workDirectory);
        var result = SpecLoader.LoadHost(tree, host, options, hostDirectory: liveTree.Directory);
        return new LoadedDesiredState(result.State, commitSha, result.HostInInventory, result.Errors, null)
        {
            HostNotInInventory = result.HostNotInInventoryMessage,
            Files = result.State is null ? null : new RevisionFiles(liveTree, tree),
        };
    }
}
