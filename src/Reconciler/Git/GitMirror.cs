using LibGit2Sharp;

namespace Berth.Reconciler.Git;

/// <summary>
/// The local bare repository a source fetches into, and every local read of it (LibGit2Sharp).
/// </summary>
/// <remarks>
/// The split: the system git does everything that talks to a server (killable, bounded in time, every
/// transport); LibGit2Sharp does local reads (resolve a ref, read a commit, its tree and signature),
/// which are bounded by the disk and need no subprocess per call. <see cref="Repository"/> is not
/// thread-safe, so each method opens, uses and disposes its own instance, and <see cref="GitSource"/>
/// serialises all calls. The mirror is bare: there is no working directory to be half-updated, and the
/// desired state is always read from a commit's tree.
/// </remarks>
internal sealed class GitMirror(string cacheDirectory, string branch)
{
    // Where berth keeps the tip it last fetched; a remote-tracking ref like any clone's.
    public string TrackingRef { get; } = $"refs/remotes/origin/{branch}";

    public string RepositoryPath { get; } = Path.Combine(cacheDirectory, "repository.git");

    public bool Exists => Directory.Exists(RepositoryPath) && Repository.IsValid(RepositoryPath);

    /// <summary>Creates the bare repository when it is missing; recreates it when it is not a valid repository.</summary>
    /// <returns>True when a broken directory was replaced (worth a warning).</returns>
    public bool EnsureCreated()
    {
        var replaced = false;
        if (Directory.Exists(RepositoryPath) && !Repository.IsValid(RepositoryPath))
        {
            // A mirror is only a cache: rebuilding it costs one full fetch, keeping it costs every fetch.
            Directory.Delete(RepositoryPath, recursive: true);
            replaced = true;
        }

        if (!Directory.Exists(RepositoryPath))
        {
            Directory.CreateDirectory(cacheDirectory);
            Repository.Init(RepositoryPath, isBare: true);
        }

        return replaced;
    }

    /// <summary>Removes the mirror entirely (it is only a cache); the next fetch recreates it.</summary>
    public void Delete()
    {
        if (Directory.Exists(RepositoryPath))
        {
            Directory.Delete(RepositoryPath, recursive: true);
        }
    }

    /// <summary>
    /// Removes lock files a killed git left behind. Safe because <see cref="GitSource"/> serialises every
    /// operation on this mirror and one cache directory belongs to one source: any lock present now is stale.
    /// Without this, one timed-out fetch would make every later fetch fail with "Unable to create '...lock'".
    /// </summary>
    public IReadOnlyList<string> RemoveStaleLocks()
    {
        if (!Directory.Exists(RepositoryPath))
        {
            return [];
        }

        // Refs and top-level files (HEAD, config, packed-refs, shallow) are what git locks; objects/ is
        // not walked for locks (its partial downloads are RemovePartialDownloads' business).
        var candidates = Directory.EnumerateFiles(RepositoryPath, "*.lock", SearchOption.TopDirectoryOnly)
            .Concat(new[] { "refs", "logs" }
                .Select(directory => Path.Combine(RepositoryPath, directory))
                .Where(Directory.Exists)
                .SelectMany(directory => Directory.EnumerateFiles(directory, "*.lock", SearchOption.AllDirectories)))
            .ToList();
        var removed = new List<string>();
        foreach (var lockFile in candidates)
        {
            File.Delete(lockFile);
            removed.Add(Path.GetRelativePath(RepositoryPath, lockFile));
        }

        return removed;
    }

    /// <summary>
    /// Removes what a killed fetch was still writing: <c>objects/pack/tmp_*</c> (the pack being received,
    /// its index and reverse index) and <c>objects/XX/tmp_obj_*</c> (a loose object being written, for
    /// fetches of fewer objects than <c>fetch.unpackLimit</c>). git removes them itself only when it
    /// finishes, and <c>git gc</c> only after two weeks, so each fetch killed by the timeout would leave
    /// its partial download behind (1.1 GB in 75 s against a large repository). Safe for the same reason
    /// as <see cref="RemoveStaleLocks"/>: operations are serialised, so nothing is writing them now.
    /// </summary>
    /// <returns>The removed files, relative to the mirror, and their total size in bytes.</returns>
    public (IReadOnlyList<string> Files, long Bytes) RemovePartialDownloads()
    {
        var objects = Path.Combine(RepositoryPath, "objects");
        if (!Directory.Exists(objects))
        {
            return ([], 0);
        }

        var pack = Path.Combine(objects, "pack");
        var candidates = (Directory.Exists(pack) ? Directory.EnumerateFiles(pack, "tmp_*", SearchOption.TopDirectoryOnly) : [])
            .Concat(Directory.EnumerateDirectories(objects, "??", SearchOption.TopDirectoryOnly)
                .SelectMany(directory => Directory.EnumerateFiles(directory, "tmp_obj_*", SearchOption.TopDirectoryOnly)))
            .ToList();
        var removed = new List<string>();
        long bytes = 0;
        foreach (var file in candidates)
        {
            var info = new FileInfo(file);
            if (!info.Exists)
            {
                continue;
            }

            bytes += info.Length;
            info.Delete();
            removed.Add(Path.GetRelativePath(RepositoryPath, file));
        }

        return (removed, bytes);
    }

    /// <summary>
    /// Records which URL this mirror follows. When it changed, the tracking ref is dropped: the tip of a
    /// different repository is not a "previous tip", and comparing them would report a bogus force-push.
    /// </summary>
    /// <returns>The previously recorded URL when it differed; null otherwise.</returns>
    public string? BindToSource(string displayUrl)
    {
        using var repository = new Repository(RepositoryPath);
        var recorded = repository.Config.Get<string>("berth.url")?.Value;
        if (recorded == displayUrl)
        {
            return null;
        }

        if (recorded is not null && repository.Refs[TrackingRef] is not null)
        {
            repository.Refs.Remove(TrackingRef);
        }

        repository.Config.Set("berth.url", displayUrl, ConfigurationLevel.Local);
        return recorded;
    }

    /// <summary>The tip of the tracking ref, or null before the first fetch.</summary>
    public string? ReadTip()
    {
        if (!Exists)
        {
            return null;
        }

        using var repository = new Repository(RepositoryPath);
        var reference = repository.Refs[TrackingRef];
        return reference?.ResolveToDirectReference()?.TargetIdentifier;
    }

    /// <summary>True when the mirror holds <paramref name="sha"/> as a commit.</summary>
    public bool HasCommit(string sha)
    {
        if (!Exists || !ObjectId.TryParse(sha, out var id))
        {
            return false;
        }

        using var repository = new Repository(RepositoryPath);
        return repository.Lookup<Commit>(id) is not null;
    }

    public CommitInfo ReadCommitInfo(string sha)
    {
        using var repository = new Repository(RepositoryPath);
        return ToCommitInfo(LookupCommit(repository, sha));
    }

    private static CommitInfo ToCommitInfo(Commit commit) =>
        new(commit.Sha, commit.MessageShort, commit.Author.Name, commit.Author.Email, commit.Author.When, commit.Committer.When);

    /// <summary>
    /// True when <paramref name="ancestorSha"/> is reachable from <paramref name="descendantSha"/>;
    /// null when the ancestor is no longer in the mirror (so nothing can be said).
    /// </summary>
    public bool? IsAncestor(string ancestorSha, string descendantSha)
    {
        using var repository = new Repository(RepositoryPath);
        var ancestor = ObjectId.TryParse(ancestorSha, out var ancestorId) ? repository.Lookup<Commit>(ancestorId) : null;
        if (ancestor is null)
        {
            return null;
        }

        var descendant = LookupCommit(repository, descendantSha);
        var mergeBase = repository.ObjectDatabase.FindMergeBase(ancestor, descendant);
        return mergeBase is not null && mergeBase.Id == ancestor.Id;
    }

    /// <summary>Opens the mirror for a caller that reads more than one thing (export, signature). Dispose it.</summary>
    public Repository Open()
    {
        if (!Exists)
        {
            throw new GitSourceException(new GitError(GitFailureReason.CommitNotFound, "nothing has been fetched yet: the local mirror is empty."));
        }

        return new Repository(RepositoryPath);
    }

    public static Commit LookupCommit(Repository repository, string sha)
    {
        if (!ObjectId.TryParse(sha, out var id))
        {
            throw new GitSourceException(new GitError(GitFailureReason.CommitNotFound, $"'{sha}' is not a full commit id."));
        }

        return repository.Lookup<Commit>(id)
            ?? throw new GitSourceException(new GitError(GitFailureReason.CommitNotFound, $"commit {sha} is not in the local mirror; fetch first."));
    }
}
