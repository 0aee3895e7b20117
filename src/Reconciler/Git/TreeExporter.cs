using LibGit2Sharp;

namespace Berth.Reconciler.Git;

/// <summary>
/// Writes one commit's tree (or a sub-directory of it) into a new directory, straight from the object
/// database: no checkout, no index, no shared working directory, so what is written is exactly the
/// commit, never uncommitted or later state.
/// </summary>
internal static class TreeExporter
{
    public sealed record ExportSummary(int Files, int Directories, long Bytes, IReadOnlyList<string> SkippedSubmodules);

    /// <summary>
    /// Exports into <paramref name="targetDirectory"/>, which must not exist (or be empty). The files are
    /// written into a sibling temporary directory that is renamed at the end, so a crash or a
    /// cancellation never leaves a half-written directory under the target name.
    /// </summary>
    public static ExportSummary Export(Repository repository, string commitSha, string subPath, string targetDirectory, CancellationToken cancellationToken)
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
            var counters = new Counters();
            WriteTree(tree, staging, counters, cancellationToken);
            if (Directory.Exists(target))
            {
                Directory.Delete(target); // empty, checked above
            }

            Directory.Move(staging, target);
            return new ExportSummary(counters.Files, counters.Directories, counters.Bytes, counters.SkippedSubmodules);
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

    private static void WriteTree(Tree tree, string directory, Counters counters, CancellationToken cancellationToken)
    {
        // Sorted by name (git trees are already): the export is deterministic.
        foreach (var entry in tree)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TreePath.IsSafeEntryName(entry.Name))
            {
                throw new GitSourceException(new GitError(GitFailureReason.InvalidTree,
                    $"tree entry '{entry.Path}' has a name that cannot be written safely; refusing the whole export."));
            }

            var path = Path.Combine(directory, entry.Name);
            switch (entry.Mode)
            {
                case Mode.Directory:
                    Directory.CreateDirectory(path);
                    counters.Directories++;
                    WriteTree((Tree)entry.Target, path, counters, cancellationToken);
                    break;
                case Mode.NonExecutableFile:
                case Mode.NonExecutableGroupWritableFile:
                case Mode.ExecutableFile:
                    counters.Bytes += WriteBlob((Blob)entry.Target, path, entry.Mode == Mode.ExecutableFile);
                    counters.Files++;
                    break;
                case Mode.SymbolicLink:
                    WriteSymbolicLink((Blob)entry.Target, path, entry.Path);
                    counters.Files++;
                    break;
                case Mode.GitLink:
                    // A submodule is a pointer to another repository we did not fetch; the desired state
                    // must be self-contained. Reported, not fatal.
                    counters.SkippedSubmodules.Add(entry.Path);
                    break;
                default:
                    throw new GitSourceException(new GitError(GitFailureReason.InvalidTree, $"tree entry '{entry.Path}' has an unsupported mode {entry.Mode}."));
            }
        }
    }

    private const UnixFileMode RegularFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode ExecutableFileMode =
        RegularFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private static long WriteBlob(Blob blob, string path, bool executable)
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

        return blob.Size;
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
            throw new GitSourceException(new GitError(GitFailureReason.InvalidTree,
                $"symbolic link '{entryPath}' -> '{linkTarget}' may point outside the exported directory (only relative links without '..' are allowed); refusing the export."));
        }

        File.CreateSymbolicLink(path, linkTarget);
    }

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

    private sealed class Counters
    {
        public int Files { get; set; }

        public int Directories { get; set; }

        public long Bytes { get; set; }

        public List<string> SkippedSubmodules { get; } = [];
    }
}
