using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// The directory a git source's files run from (`&lt;state-dir&gt;/repo`, where relative bind mounts
/// point), plus what berth keeps beside it: the mirror's manifest and a copy of the last applied
/// revision's tree, to go back to when a rollout fails.
/// </summary>
/// <remarks>
/// Only an apply changes this directory, never a load or a plan: a dry run (even of another branch)
/// must not rewrite files that running containers have mounted. The new revision's files are put in
/// place before its rollout (the containers it creates need them), and put back to the last applied
/// revision's when the rollout fails, before a stop-first rollback restarts an old container where
/// that is known in advance (see <see cref="RevisionFiles.RestorePrevious"/>).
/// </remarks>
public sealed class LiveTree(string stateDirectory)
{
    /// <summary>`&lt;state-dir&gt;/repo`: relative bind sources of a git source resolve into it.</summary>
    public string Directory { get; } = Path.Combine(stateDirectory, "repo");

    private string ManifestPath => Path.Combine(stateDirectory, "repo.manifest.json");

    private string AppliedCopy => Path.Combine(stateDirectory, "repo.applied");

    /// <summary>Puts a revision's files in place and creates missing bind source directories under the live directory.</summary>
    /// <returns>Files the revision no longer has that were kept because they changed since berth wrote them.</returns>
    /// <exception cref="TreeMirrorConflictException">A path of the revision is taken by something berth did not write.</exception>
    public IReadOnlyList<string> Switch(string exportedTree, DesiredState desired) =>
        Faults.FaultInjection.Active is { } faults
            ? faults.Around("live-switch", Directory, () => SwitchFiles(exportedTree, desired))
            : SwitchFiles(exportedTree, desired);

    private List<string> SwitchFiles(string exportedTree, DesiredState desired)
    {
        var kept = TreeMirror.Sync(exportedTree, Directory, ManifestPath);
        CreateBindSources(desired);
        return [.. kept];
    }

    /// <summary>Remembers <paramref name="exportedTree"/> as the last applied revision's files (what a failed rollout returns to).</summary>
    public void MarkApplied(string exportedTree)
    {
        if (Faults.FaultInjection.Active is { } faults)
        {
            faults.Around("live-mark-applied", AppliedCopy, () => CopyApplied(exportedTree));
            return;
        }

        CopyApplied(exportedTree);
    }

    private void CopyApplied(string exportedTree)
    {
        var staging = AppliedCopy + ".partial";
        if (System.IO.Directory.Exists(staging))
        {
            System.IO.Directory.Delete(staging, recursive: true);
        }

        CopyTree(exportedTree, staging);
        if (System.IO.Directory.Exists(AppliedCopy))
        {
            System.IO.Directory.Delete(AppliedCopy, recursive: true);
        }

        System.IO.Directory.Move(staging, AppliedCopy);
    }

    /// <summary>
    /// Puts the last applied revision's files back. False when no revision was applied through this
    /// directory yet (nothing to go back to): the files stay as they are.
    /// </summary>
    public bool RestoreApplied()
    {
        if (!System.IO.Directory.Exists(AppliedCopy))
        {
            return false;
        }

        if (Faults.FaultInjection.Active is { } faults)
        {
            faults.Around("live-restore", Directory, () => TreeMirror.Sync(AppliedCopy, Directory, ManifestPath));
            return true;
        }

        TreeMirror.Sync(AppliedCopy, Directory, ManifestPath);
        return true;
    }

    /// <summary>
    /// Git stores no empty directory, so `./data:/var/lib/x` may point at nothing. Docker would create
    /// it too (short syntax, or create_host_path: true); creating it here makes it exist before the
    /// container does, owned by berth's user. Never recorded in the manifest: whatever a container
    /// writes into it is never removed. Created without following links, like every write here: a
    /// container could have replaced a directory on the way with a link to anywhere.
    /// </summary>
    /// <exception cref="TreeMirrorConflictException">A link (or a file) is on the way to a bind source.</exception>
    private void CreateBindSources(DesiredState desired)
    {
        var root = Path.GetFullPath(Directory);
        using var live = NoFollowDirectory.Open(root);
        foreach (var mount in desired.AllServices.SelectMany(service => service.Container.Mounts))
        {
            if (mount is { Type: MountType.Bind, BindCreateHostPath: true, Source: { } source }
                && Path.GetFullPath(source).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && Path.GetRelativePath(root, Path.GetFullPath(source)) is var relative
                && live.Inspect(relative).Kind == EntryKind.Missing)
            {
                live.CreateDirectory(relative); // 0755 like Docker would create it, not the umask's 0700
            }
        }
    }

    /// <summary>Copies berth's own export; links are copied as links, never entered (a link to "." would make the walk endless).</summary>
    private static void CopyTree(string source, string target)
    {
        var tree = SourceTree.Read(source);
        System.IO.Directory.CreateDirectory(target);
        foreach (var directory in tree.Directories)
        {
            System.IO.Directory.CreateDirectory(Path.Combine(target, directory));
        }

        foreach (var (relative, linkTarget) in tree.Links)
        {
            File.CreateSymbolicLink(Path.Combine(target, relative), linkTarget);
        }

        foreach (var (relative, file) in tree.Files)
        {
            File.Copy(file, Path.Combine(target, relative));
        }
    }
}

/// <summary>One revision's files for one apply: switch them in, then keep them (success) or put the last applied ones back (failure).</summary>
public sealed class RevisionFiles(LiveTree liveTree, string exportedTree)
{
    private readonly Lock gate = new();
    private bool restored;

    public LiveTree LiveTree { get; } = liveTree;

    public IReadOnlyList<string> Switch(DesiredState desired)
    {
        lock (gate)
        {
            restored = false;
            return LiveTree.Switch(exportedTree, desired);
        }
    }

    public void MarkApplied()
    {
        lock (gate)
        {
            LiveTree.MarkApplied(exportedTree);
        }
    }

    /// <summary>
    /// Why putting the last applied files back failed, if it did; the apply reports it. Null when it
    /// worked or was not needed.
    /// </summary>
    public string? RestoreFailure { get; private set; }

    /// <summary>
    /// Puts the last applied revision's files back, once per apply (services roll back concurrently).
    /// Never throws: it runs in the middle of a rollback, which must go on (an old container restarted
    /// on the new files is better than an old container left stopped); a failure is kept in
    /// <see cref="RestoreFailure"/> for the apply's report.
    /// </summary>
    public void RestorePrevious()
    {
        lock (gate)
        {
            if (restored)
            {
                return;
            }

            restored = true;
            try
            {
                LiveTree.RestoreApplied();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                RestoreFailure = exception.Message;
            }
        }
    }
}
