using LibGit2Sharp;

namespace Berth.Reconciler.Git;

/// <summary>
/// Writes one commit's tree (or a sub-directory of it) into a new directory, straight from the object
/// database: no checkout, no index, no shared working directory, so what is written is exactly the
/// commit, never uncommitted or later state.
/// </summary>
internal static class TreeExporter
{
    public sealed record ExportSummary(int Files, int Directories, long Bytes);

    /// <summary>What every Git LFS pointer file starts with (git-lfs spec v1): the content is on an LFS server berth never asks.</summary>
    private static readonly byte[] LfsPointerPrefix = "version https://git-lfs.github.com/spec/v1\n"u8.ToArray();

    /// <summary>LFS pointers are small; git-lfs itself never treats a blob over 1024 bytes as one.</summary>
    private const int LfsPointerMaxSize = 1024;

    /// <summary>The sibling directories <see cref="Export"/> writes into before renaming: <c>.&lt;target name&gt;.partial-&lt;id&gt;</c>.</summary>
    public static bool IsPartialExport(string name) => name.StartsWith('.') && name.Contains(".partial-", StringComparison.Ordinal);

    /// <summary>
    /// Exports into <paramref name="targetDirectory"/>, which must not exist (or be empty). The files are
    /// written into a sibling temporary directory that is renamed at the end, so a crash or a
    /// cancellation never leaves a half-written directory under the target name.
    /// </summary>
    /// <exception cref="GitSourceException"><see cref="GitFailureReason.InvalidTree"/> when the tree breaks <paramref name="limits"/> or holds
    /// an entry berth refuses (a path that could escape, ".git", a submodule, a Git LFS pointer, a link to its own directory).</exception>
    public static ExportSummary Export(Repository repository, string commitSha, string subPath, string targetDirectory, TreeExportLimits limits, CancellationToken cancellationToken)
    {
        var commit = GitMirror.LookupCommit(repository, commitSha);
        var normalizedSubPath = TreePath.Normalize(subPath);
        var tree = FindTree(commit, normalizedSubPath);

        var target = Path.GetFullPath(targetDirectory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new GitSourceException(new GitError(GitFailureReason.LocalSetupError, $"export target '{target}' is not empty; export needs a fresh directory."));
        }

        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("the export target needs a parent directory", nameof(targetDirectory));
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var counters = new Counters(commit.Sha[..12], limits);
            WriteTree(tree, staging, depth: 1, counters, cancellationToken);
            if (Directory.Exists(target))
            {
                Directory.Delete(target); // empty, checked above
            }

            Directory.Move(staging, target);
            return new ExportSummary(counters.Files, counters.Directories, counters.Bytes);
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    private static Tree FindTree(Commit commit, string subPath)
    {
        if (subPath.Length == 0)
        {
            return commit.Tree;
        }

        var entry = commit[subPath];
        return entry switch
        {
            null => throw new GitSourceException(new GitError(GitFailureReason.InvalidTree,
                $"sub-path '{subPath}' does not exist in commit {commit.Sha[..12]}.")),
            { TargetType: TreeEntryTargetType.Tree } => (Tree)entry.Target,
            _ => throw new GitSourceException(new GitError(GitFailureReason.InvalidTree,
                $"sub-path '{subPath}' in commit {commit.Sha[..12]} is a file, not a directory.")),
        };
    }

    private static void WriteTree(Tree tree, string directory, int depth, Counters counters, CancellationToken cancellationToken)
    {
        // Sorted by name (git trees are already): the export is deterministic.
        foreach (var entry in tree)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TreePath.IsSafeEntryName(entry.Name))
            {
                throw Refused($"tree entry '{entry.Path}' has a name that cannot be written safely; refusing the whole export.");
            }

            if (TreePath.IsGitDirectoryName(entry.Name))
            {
                // git itself refuses these (fsck: hasDotgit): a checkout would write into its own repository.
                throw Refused($"tree entry '{entry.Path}' is named like git's own directory ('.git'), which git refuses (fsck hasDotgit); remove it from the commit.");
            }

            counters.CountEntry(entry.Path, depth);
            var path = Path.Combine(directory, entry.Name);
            switch (entry.Mode)
            {
                case Mode.Directory:
                    Directory.CreateDirectory(path);
                    counters.Directories++;
                    WriteTree((Tree)entry.Target, path, depth + 1, counters, cancellationToken);
                    break;
                case Mode.NonExecutableFile:
                case Mode.NonExecutableGroupWritableFile:
                case Mode.ExecutableFile:
                    var blob = (Blob)entry.Target;
                    counters.CountBytes(entry.Path, blob.Size);
                    RefuseLfsPointer(blob, entry.Path);
                    WriteBlob(blob, path, entry.Mode == Mode.ExecutableFile);
                    counters.Files++;
                    break;
                case Mode.SymbolicLink:
                    WriteSymbolicLink((Blob)entry.Target, path, entry.Path);
                    counters.Files++;
                    break;
                case Mode.GitLink:
                    // A submodule is a pointer to a commit of another repository, which berth does not
                    // fetch: deploying without its files would run something other than the commit says.
                    throw Refused($"tree entry '{entry.Path}' is a submodule (a link to a commit of another repository), which berth does not fetch; commit the files themselves instead.");
                default:
                    throw Refused($"tree entry '{entry.Path}' has an unsupported mode {entry.Mode}.");
            }
        }
    }

    private static void RefuseLfsPointer(Blob blob, string entryPath)
    {
        if (blob.Size > LfsPointerMaxSize || blob.Size < LfsPointerPrefix.Length)
        {
            return;
        }

        using var content = blob.GetContentStream();
        var start = new byte[LfsPointerPrefix.Length];
        content.ReadExactly(start);
        if (start.AsSpan().SequenceEqual(LfsPointerPrefix))
        {
            throw Refused($"file '{entryPath}' is a Git LFS pointer: its content is on an LFS server, which berth does not fetch (it would deploy the pointer text); commit the file itself instead of tracking it with LFS.");
        }
    }

    private const UnixFileMode RegularFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode ExecutableFileMode =
        RegularFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private static void WriteBlob(Blob blob, string path, bool executable)
    {
        // Raw content: no filters, no line-ending conversion; the bytes are the commit's bytes.
        using (var content = blob.GetContentStream())
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            content.CopyTo(file);
        }

        // The commit's mode (git knows only 0644 and 0755), set explicitly: a file created here gets
        // 0666 minus the process umask, and berth runs with UMask=0077 under systemd. These files reach
        // the live directory with this mode, where a container running as another user must read them.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, executable ? ExecutableFileMode : RegularFileMode);
        }
    }

    private static void WriteSymbolicLink(Blob blob, string path, string entryPath)
    {
        // A link is only kept when it cannot leave the export: a repository author must not be able to
        // make berth read /etc/shadow or another stack's secrets through "env_file: ./link". Relative
        // targets without ".." only ever point down, and links that only point down cannot be chained
        // into one that points up (a lexical check of "a/../.." could be fooled by a link to ".").
        var linkTarget = blob.GetContentText().TrimEnd('\0');
        var segments = linkTarget.Split('/');
        if (linkTarget.Length == 0 || Path.IsPathRooted(linkTarget) || linkTarget.Contains('\\') || segments.Contains(".."))
        {
            throw Refused($"symbolic link '{entryPath}' -> '{linkTarget}' may point outside the exported directory (only relative links without '..' are allowed); refusing the export.");
        }

        // Only "." segments: the link is its own directory, a loop for anything that walks the tree by
        // following links (two of them double the paths at every level). Since no target holds "..",
        // this is the only way a link can reach its directory or an ancestor.
        if (segments.All(segment => segment is "." or ""))
        {
            throw Refused($"symbolic link '{entryPath}' -> '{linkTarget}' points at its own directory (a loop); refusing the export.");
        }

        File.CreateSymbolicLink(path, linkTarget);
    }

    private static GitSourceException Refused(string message) => new(new GitError(GitFailureReason.InvalidTree, message));

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover ".partial-" directory is harmless and named as such.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>What has been written so far, checked against the limits before each entry is written.</summary>
    private sealed class Counters(string commit, TreeExportLimits limits)
    {
        private int entries;

        public int Files { get; set; }

        public int Directories { get; set; }

        public long Bytes { get; private set; }

        public void CountEntry(string entryPath, int depth)
        {
            if (depth > limits.MaxDepth)
            {
                throw Refused($"commit {commit}: '{entryPath}' is {depth} directories deep, more than the limit of {limits.MaxDepth}; refusing the export.");
            }

            if (++entries > limits.MaxEntries)
            {
                throw Refused($"commit {commit} has more than {limits.MaxEntries} files, directories and links (the limit; reached at '{entryPath}'); refusing the export.");
            }
        }

        public void CountBytes(string entryPath, long size)
        {
            Bytes += size;
            if (Bytes > limits.MaxBytes)
            {
                throw Refused($"commit {commit} has more than {limits.MaxBytes} bytes of files (the limit; reached at '{entryPath}'); refusing the export.");
            }
        }
    }
}
