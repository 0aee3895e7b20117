namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// Makes a stable directory hold exactly the files of an exported commit tree.
/// </summary>
/// <remarks>
/// Why a stable directory: Compose resolves relative bind mounts against the project directory, and
/// the resolved path is part of a service's config hash. Loading each commit from its own export
/// directory would change that path, and so recreate every service with a bind mount, on every
/// commit. The mirror is only written after the commit validated (an invalid commit changes nothing
/// on the host). Changed files are rewritten in place (same inode), so a running container with a
/// single-file bind mount sees the new content, as it would after `git pull` in a Compose project.
/// </remarks>
public static class TreeMirror
{
    public static void Sync(string sourceDirectory, string targetDirectory)
    {
        Directory.CreateDirectory(targetDirectory);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in Directory.EnumerateFileSystemEntries(sourceDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sourceDirectory, source);
            wanted.Add(relative);
            var target = Path.Combine(targetDirectory, relative);
            if (Directory.Exists(source))
            {
                Directory.CreateDirectory(target);
                continue;
            }

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
        }

        // Remove what the commit no longer has, deepest first.
        foreach (var stale in Directory.EnumerateFileSystemEntries(targetDirectory, "*", SearchOption.AllDirectories)
                     .Where(path => !wanted.Contains(Path.GetRelativePath(targetDirectory, path)))
                     .OrderByDescending(path => path.Length))
        {
            if (Directory.Exists(stale))
            {
                Directory.Delete(stale, recursive: true);
            }
            else if (File.Exists(stale))
            {
                File.Delete(stale);
            }
        }
    }
}
