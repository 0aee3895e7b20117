using System.Security.Cryptography;
using System.Text.Json;

namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// Makes a stable directory hold the files of an exported commit tree, without ever deleting or
/// overwriting what berth did not write itself.
/// </summary>
/// <remarks>
/// Why a stable directory: Compose resolves relative bind mounts against the project directory, and
/// the resolved path is part of a service's config hash. Loading each commit from its own export
/// directory would change that path, and so recreate every service with a bind mount, on every
/// commit. Changed files are rewritten in place (same inode), so a running container with a
/// single-file bind mount sees the new content, as it would after `git pull` in a Compose project.
///
/// Why a manifest: a relative bind source (`./data:/var/lib/x`) lives inside this directory, and a
/// container writes into it. Anything not in the commit may be such data, so the mirror only
/// removes what its manifest says it wrote from an earlier commit, and only while the content is
/// still exactly what it wrote (a tracked file a container changed is data too). It behaves like
/// `git checkout` with untracked files: they are never touched, and a commit that would overwrite
/// one is refused (<see cref="TreeMirrorConflictException"/>) rather than clobbering it.
/// </remarks>
public static class TreeMirror
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <param name="manifestPath">
    /// Where the mirror records what it wrote (outside <paramref name="targetDirectory"/>, so a
    /// commit or a container cannot collide with it). Without a manifest (first sync, or a state
    /// directory from a berth that kept none) nothing is deleted and existing files at the commit's
    /// paths are adopted.
    /// </param>
    /// <returns>Files the commit no longer has that were kept because they changed since berth wrote them.</returns>
    /// <exception cref="TreeMirrorConflictException">A commit path is taken by something berth did not write; nothing was changed.</exception>
    public static IReadOnlyList<string> Sync(string sourceDirectory, string targetDirectory, string manifestPath)
    {
        CreateSharedDirectory(targetDirectory);
        var previous = ReadManifest(manifestPath);
        var wantedFiles = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var wantedDirectories = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var source in Directory.EnumerateFileSystemEntries(sourceDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sourceDirectory, source);
            if (Directory.Exists(source))
            {
                wantedDirectories.Add(relative);
            }
            else
            {
                wantedFiles[relative] = source;
            }
        }

        // Decide first, change nothing until every path is known to be safe to write.
        var conflicts = FindConflicts(targetDirectory, previous, wantedFiles, wantedDirectories);
        if (conflicts.Count > 0)
        {
            throw new TreeMirrorConflictException(targetDirectory, conflicts);
        }

        var kept = new List<string>();
        if (previous is not null)
        {
            RemoveStale(targetDirectory, previous, wantedFiles, wantedDirectories, kept);
        }

        var written = new Manifest(new SortedDictionary<string, string>(StringComparer.Ordinal), [.. wantedDirectories]);
        foreach (var directory in wantedDirectories)
        {
            CreateSharedDirectory(Path.Combine(targetDirectory, directory));
        }

        foreach (var (relative, source) in wantedFiles)
        {
            var target = Path.Combine(targetDirectory, relative);
            var content = File.ReadAllBytes(source);
            if (!File.Exists(target) || !File.ReadAllBytes(target).AsSpan().SequenceEqual(content))
            {
                using var stream = new FileStream(target, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
                stream.SetLength(0);
                stream.Write(content);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(source)); // keep executable bits (entrypoint scripts)
            }

            written.Files[relative] = Hash(content);
        }

        WriteManifest(manifestPath, written);
        return kept;
    }

    /// <summary>
    /// Creates a directory of the live tree as 0755 whatever the process umask (0077 under the systemd
    /// unit): containers running as other users read bind mounts in it, as from a git checkout. An existing
    /// directory keeps its mode: a container may have narrowed it on purpose (a database's data directory).
    /// </summary>
    internal static void CreateSharedDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, SharedDirectoryMode);
        }
    }

    private const UnixFileMode SharedDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>
    /// Paths the commit needs that hold something berth did not write: an untracked file with other
    /// content, a directory where a file goes (or the reverse), or a symbolic link on the way (writing
    /// through a link a container made could reach any file on the host).
    /// </summary>
    private static List<string> FindConflicts(
        string targetDirectory, Manifest? previous, SortedDictionary<string, string> wantedFiles, SortedSet<string> wantedDirectories)
    {
        var conflicts = new List<string>();
        foreach (var directory in wantedDirectories)
        {
            var path = Path.Combine(targetDirectory, directory);
            if (IsLink(path))
            {
                conflicts.Add($"{directory}: a symbolic link is where the commit has a directory");
            }
            else if (File.Exists(path) && !WroteUnchanged(previous, directory, path))
            {
                conflicts.Add($"{directory}: a file berth did not write is where the commit has a directory");
            }
        }

        foreach (var relative in wantedFiles.Keys)
        {
            var path = Path.Combine(targetDirectory, relative);
            if (IsLink(path))
            {
                conflicts.Add($"{relative}: a symbolic link is where the commit has a file");
            }
            else if (Directory.Exists(path) && !HoldsOnlyWhatBerthWrote(targetDirectory, previous, relative))
            {
                conflicts.Add($"{relative}: a directory is where the commit has a file");
            }
            else if (File.Exists(path) && previous is not null && !previous.Files.ContainsKey(relative)
                     && !File.ReadAllBytes(path).AsSpan().SequenceEqual(File.ReadAllBytes(wantedFiles[relative])))
            {
                conflicts.Add($"{relative}: an untracked file with other content exists (written by a container?)");
            }
        }

        return conflicts;
    }

    /// <summary>Removes what berth wrote for an earlier commit and this one lacks, if nobody changed it since.</summary>
    private static void RemoveStale(
        string targetDirectory, Manifest previous, SortedDictionary<string, string> wantedFiles, SortedSet<string> wantedDirectories, List<string> kept)
    {
        foreach (var (relative, hash) in previous.Files.Where(entry => !wantedFiles.ContainsKey(entry.Key)))
        {
            var path = Path.Combine(targetDirectory, relative);
            if (IsLink(path) || !File.Exists(path))
            {
                continue;
            }

            if (Hash(File.ReadAllBytes(path)) == hash)
            {
                File.Delete(path);
            }
            else
            {
                kept.Add(relative);
            }
        }

        // Deepest first; a directory that still holds anything (a container's data) stays.
        foreach (var directory in previous.Directories.Where(directory => !wantedDirectories.Contains(directory)).OrderByDescending(directory => directory.Length))
        {
            var path = Path.Combine(targetDirectory, directory);
            if (!IsLink(path) && Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any())
            {
                Directory.Delete(path);
            }
        }
    }

    /// <summary>
    /// A directory berth created for an earlier commit that still holds only files berth wrote,
    /// unchanged: the commit may put a file in its place (<see cref="RemoveStale"/> empties and removes
    /// it first). Anything else in it (a container's data) makes it a conflict.
    /// </summary>
    private static bool HoldsOnlyWhatBerthWrote(string targetDirectory, Manifest? previous, string relativeDirectory)
    {
        if (previous is null || !previous.Directories.Contains(relativeDirectory))
        {
            return false;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(targetDirectory, relativeDirectory), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(targetDirectory, entry);
            var ours = IsLink(entry) ? false
                : Directory.Exists(entry) ? previous.Directories.Contains(relative)
                : WroteUnchanged(previous, relative, entry);
            if (!ours)
            {
                return false;
            }
        }

        return true;
    }

    private static bool WroteUnchanged(Manifest? previous, string relative, string path) =>
        previous is not null && previous.Files.TryGetValue(relative, out var hash) && Hash(File.ReadAllBytes(path)) == hash;

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static Manifest? ReadManifest(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Json);
        return manifest is null ? null : manifest with { Files = new SortedDictionary<string, string>(manifest.Files, StringComparer.Ordinal) };
    }

    private static void WriteManifest(string path, Manifest manifest)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(manifest, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>What the mirror wrote: repository-relative file paths with the SHA-256 of their content, and directories.</summary>
    private sealed record Manifest(SortedDictionary<string, string> Files, List<string> Directories);
}

/// <summary>A commit path is taken by something berth did not write (a container's data); berth changes nothing.</summary>
public sealed class TreeMirrorConflictException(string targetDirectory, IReadOnlyList<string> conflicts)
    : IOException($"cannot update {targetDirectory}: {string.Join("; ", conflicts)}; berth never deletes or overwrites files it did not write: move them away or change the commit")
{
    public IReadOnlyList<string> Conflicts { get; } = conflicts;
}
