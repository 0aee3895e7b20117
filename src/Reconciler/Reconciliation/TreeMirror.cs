using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

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
///
/// Why no link is ever followed: containers write into this directory while berth does. Every read
/// and write goes through <see cref="NoFollowDirectory"/> (handles opened with O_NOFOLLOW, one
/// directory at a time), so a file swapped for a link between berth's check and its write makes the
/// sync fail instead of writing or chmod-ing a file outside the tree. Symbolic links of the commit are
/// mirrored as links (their targets are never read), and walking either tree never enters a link: a
/// commit with `a -> .` cannot make a walk loop.
/// </remarks>
public static class TreeMirror
{
    /// <param name="manifestPath">
    /// Where the mirror records what it wrote (outside <paramref name="targetDirectory"/>, so a
    /// commit or a container cannot collide with it). Without a manifest (first sync, or a state
    /// directory from a berth that kept none) nothing is deleted and existing files at the commit's
    /// paths are adopted.
    /// </param>
    /// <returns>Files the commit no longer has that were kept because they changed since berth wrote them.</returns>
    /// <exception cref="TreeMirrorConflictException">A commit path is taken by something berth did not write; nothing was changed
    /// (or, when a container raced berth, the sync stopped at that path without writing through it).</exception>
    public static IReadOnlyList<string> Sync(string sourceDirectory, string targetDirectory, string manifestPath) =>
        Sync(sourceDirectory, targetDirectory, manifestPath, beforeWrite: null);

    /// <param name="beforeWrite">Called with each file's path between the checks and the write: where a racing container would strike (tests).</param>
    internal static IReadOnlyList<string> Sync(string sourceDirectory, string targetDirectory, string manifestPath, Action<string>? beforeWrite)
    {
        CreateSharedDirectory(targetDirectory);
        using var live = NoFollowDirectory.Open(targetDirectory);
        var previous = ReadManifest(manifestPath);
        var wanted = SourceTree.Read(sourceDirectory);

        // Decide first, change nothing until every path is known to be safe to write.
        var conflicts = FindConflicts(live, previous, wanted);
        if (conflicts.Count > 0)
        {
            throw new TreeMirrorConflictException(targetDirectory, conflicts);
        }

        var kept = new List<string>();
        if (previous is not null)
        {
            RemoveStale(live, previous, wanted, kept);
        }

        var written = new Manifest(new SortedDictionary<string, string>(StringComparer.Ordinal), [.. wanted.Directories], new SortedDictionary<string, string>(wanted.Links, StringComparer.Ordinal));
        foreach (var directory in wanted.Directories)
        {
            live.CreateDirectory(directory);
        }

        foreach (var (relative, target) in wanted.Links)
        {
            var existing = live.Inspect(relative);
            if (existing.Kind != EntryKind.SymbolicLink || live.ReadSymbolicLink(relative) != target)
            {
                live.CreateSymbolicLink(relative, target, replace: existing.Kind is EntryKind.File or EntryKind.SymbolicLink);
            }
        }

        foreach (var (relative, source) in wanted.Files)
        {
            var content = File.ReadAllBytes(source);
            // Keep executable bits (entrypoint scripts). berth runs on Linux; the guard is for the analyzer.
            var mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(source);
            var existing = live.Inspect(relative);
            var unchanged = existing.Kind == EntryKind.File && existing.Mode == mode && live.ReadFile(relative) is { } current && current.AsSpan().SequenceEqual(content);
            beforeWrite?.Invoke(relative);
            if (!unchanged)
            {
                live.WriteFile(relative, content, mode);
            }

            written.Files[relative] = Hash(content);
        }

        WriteManifest(manifestPath, written);
        return kept;
    }

    /// <summary>
    /// The live directory itself (under berth's own state directory) as 0755 whatever the process umask
    /// (0077 under the systemd unit): containers running as other users read bind mounts in it. An
    /// existing directory keeps its mode. Directories inside it are created by <see cref="NoFollowDirectory"/>.
    /// </summary>
    private static void CreateSharedDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, NoFollowDirectory.SharedDirectoryMode);
        }
    }

    /// <summary>
    /// Paths the commit needs that hold something berth did not write: an untracked file with other
    /// content, a directory where a file goes (or the reverse), or a symbolic link on the way (writing
    /// through a link a container made could reach any file on the host).
    /// </summary>
    private static List<string> FindConflicts(NoFollowDirectory live, Manifest? previous, SourceTree wanted)
    {
        var conflicts = new List<string>();
        foreach (var directory in wanted.Directories)
        {
            var existing = live.Inspect(directory);
            if (IsLinkInTheWay(live, previous, wanted, directory, existing))
            {
                conflicts.Add($"{directory}: a symbolic link is where the commit has a directory");
            }
            else if (existing.Kind == EntryKind.File && !WroteUnchanged(live, previous, directory))
            {
                conflicts.Add($"{directory}: a file berth did not write is where the commit has a directory");
            }
            else if (existing.Kind == EntryKind.Other)
            {
                conflicts.Add($"{directory}: a special file is where the commit has a directory");
            }
        }

        foreach (var relative in wanted.Files.Keys.Concat(wanted.Links.Keys))
        {
            var existing = live.Inspect(relative);
            var what = wanted.Links.ContainsKey(relative) ? "a symbolic link" : "a file";
            if (existing.Kind == EntryKind.SymbolicLink && wanted.Links.TryGetValue(relative, out var linkTarget) && live.ReadSymbolicLink(relative) == linkTarget)
            {
                continue; // already the commit's link (adopted like an identical file)
            }

            if (IsLinkInTheWay(live, previous, wanted, relative, existing) && !IsLinkBerthWrote(live, previous, relative))
            {
                conflicts.Add($"{relative}: a symbolic link is where the commit has {what}");
            }
            else if (existing.Kind == EntryKind.Directory && !HoldsOnlyWhatBerthWrote(live, previous, relative))
            {
                conflicts.Add($"{relative}: a directory is where the commit has {what}");
            }
            else if (existing.Kind == EntryKind.Other)
            {
                conflicts.Add($"{relative}: a special file is where the commit has {what}");
            }
            else if (existing.Kind == EntryKind.File && previous is not null && !previous.Files.ContainsKey(relative)
                     && !(wanted.Files.TryGetValue(relative, out var source) && live.ReadFile(relative) is { } content && content.AsSpan().SequenceEqual(File.ReadAllBytes(source))))
            {
                conflicts.Add($"{relative}: an untracked file with other content exists (written by a container?)");
            }
        }

        return conflicts;
    }

    /// <summary>
    /// A link at the path, or on the way to it, that berth will not remove itself first: a link berth
    /// wrote for an earlier commit and this one drops is removed by <see cref="RemoveStale"/>.
    /// </summary>
    private static bool IsLinkInTheWay(NoFollowDirectory live, Manifest? previous, SourceTree wanted, string relative, EntryInfo existing)
    {
        if (existing.Kind == EntryKind.SymbolicLink)
        {
            return !(IsLinkBerthWrote(live, previous, relative) && !wanted.Links.ContainsKey(relative));
        }

        if (existing.Kind != EntryKind.LinkOnTheWay)
        {
            return false;
        }

        var segments = relative.Split('/');
        for (var count = 1; count < segments.Length; count++)
        {
            var ancestor = string.Join('/', segments[..count]);
            if (live.Inspect(ancestor).Kind == EntryKind.SymbolicLink)
            {
                return !(IsLinkBerthWrote(live, previous, ancestor) && !wanted.Links.ContainsKey(ancestor));
            }
        }

        // A file on the way: the commit has a directory there, whose own check says whether berth may replace it.
        return false;
    }

    /// <summary>Removes what berth wrote for an earlier commit and this one lacks, if nobody changed it since.</summary>
    private static void RemoveStale(NoFollowDirectory live, Manifest previous, SourceTree wanted, List<string> kept)
    {
        foreach (var (relative, hash) in previous.Files.Where(entry => !wanted.Files.ContainsKey(entry.Key)))
        {
            if (live.ReadFile(relative) is not { } content)
            {
                continue; // gone, or no longer a regular file: not berth's to remove
            }

            if (Hash(content) == hash)
            {
                live.DeleteEntry(relative);
            }
            else
            {
                kept.Add(relative);
            }
        }

        foreach (var relative in previous.Links.Keys.Where(relative => !wanted.Links.ContainsKey(relative) || wanted.Links[relative] != previous.Links[relative]))
        {
            if (IsLinkBerthWrote(live, previous, relative))
            {
                live.DeleteEntry(relative);
            }
        }

        // Deepest first; a directory that still holds anything (a container's data) stays.
        foreach (var directory in previous.Directories.Where(directory => !wanted.Directories.Contains(directory)).OrderByDescending(directory => directory.Length))
        {
            if (live.Inspect(directory).Kind == EntryKind.Directory)
            {
                live.DeleteEmptyDirectory(directory);
            }
        }
    }

    /// <summary>
    /// A directory berth created for an earlier commit that still holds only files berth wrote,
    /// unchanged: the commit may put a file in its place (<see cref="RemoveStale"/> empties and removes
    /// it first). Anything else in it (a container's data) makes it a conflict.
    /// </summary>
    private static bool HoldsOnlyWhatBerthWrote(NoFollowDirectory live, Manifest? previous, string relativeDirectory)
    {
        if (previous is null || !previous.Directories.Contains(relativeDirectory))
        {
            return false;
        }

        foreach (var (relative, info) in live.ListRecursively(relativeDirectory))
        {
            var ours = info.Kind switch
            {
                EntryKind.SymbolicLink => IsLinkBerthWrote(live, previous, relative),
                EntryKind.Directory => previous.Directories.Contains(relative),
                EntryKind.File => WroteUnchanged(live, previous, relative),
                _ => false,
            };
            if (!ours)
            {
                return false;
            }
        }

        return true;
    }

    private static bool WroteUnchanged(NoFollowDirectory live, Manifest? previous, string relative) =>
        previous is not null && previous.Files.TryGetValue(relative, out var hash) && live.ReadFile(relative) is { } content && Hash(content) == hash;

    private static bool IsLinkBerthWrote(NoFollowDirectory live, Manifest? previous, string relative) =>
        previous is not null && previous.Links.TryGetValue(relative, out var target) && live.ReadSymbolicLink(relative) == target;

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static Manifest? ReadManifest(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var manifest = JsonSerializer.Deserialize(File.ReadAllText(path), TreeMirrorJsonContext.Default.Manifest);
        return manifest is null ? null : manifest with
        {
            Files = new SortedDictionary<string, string>(manifest.Files, StringComparer.Ordinal),
            // Manifests written before links were mirrored as links have none.
            Links = manifest.Links is null ? new SortedDictionary<string, string>(StringComparer.Ordinal) : new SortedDictionary<string, string>(manifest.Links, StringComparer.Ordinal),
        };
    }

    private static void WriteManifest(string path, Manifest manifest)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        // 0600: it lives in the state directory (OwnerOnlyFiles), beside the state file.
        State.OwnerOnlyFiles.WriteAllText(temporary, JsonSerializer.Serialize(manifest, TreeMirrorJsonContext.Default.Manifest));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>What the mirror wrote: repository-relative file paths with the SHA-256 of their content, directories, and links with their targets.</summary>
    internal sealed record Manifest(SortedDictionary<string, string> Files, List<string> Directories, SortedDictionary<string, string> Links);
}

/// <summary>The mirror's manifest JSON, generated at build time (Native AOT has no reflection serializer); the same format as before.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(TreeMirror.Manifest))]
internal sealed partial class TreeMirrorJsonContext : JsonSerializerContext;

/// <summary>A commit path is taken by something berth did not write (a container's data); berth changes nothing.</summary>
public sealed class TreeMirrorConflictException(string targetDirectory, IReadOnlyList<string> conflicts)
    : IOException($"cannot update {targetDirectory}: {string.Join("; ", conflicts)}; berth never deletes or overwrites files it did not write: move them away or change the commit")
{
    public IReadOnlyList<string> Conflicts { get; } = conflicts;
}
