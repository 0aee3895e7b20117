using System.Runtime.InteropServices;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Secrets.Files;

/// <summary>
/// Where the contents of Compose secrets and configs live on the host while containers use them: a
/// directory on a tmpfs (never written to a disk unencrypted), mode 0700, owned by the daemon (root).
/// One directory per host identity, stack, service and config hash (a "generation"): the config hash
/// includes the keyed hash of every content, so a replacement's new container gets a new directory
/// while the old container keeps its own until it is removed (<see cref="Prune"/>).
/// </summary>
/// <remarks>
/// Layout: ROOT/HOST/STACK/SERVICE/CONFIGHASH/{secret,config}-N, each file with the mode (default
/// 0400), uid and gid its reference asks for. A generation directory appears whole or not at all: it
/// is written under a temporary name and renamed.
/// </remarks>
public sealed partial class MountedFileStore
{
    /// <summary>The default root: under /run, which is a tmpfs on systemd hosts.</summary>
    public const string DefaultRoot = "/run/berth/files";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const string TemporarySuffix = ".partial";

    private MountedFileStore(string root) => Root = root;

    public string Root { get; }

    /// <summary>
    /// Creates (0700) or takes <paramref name="root"/>, after checking that it is on a tmpfs: a secret
    /// written to a disk outlives the host's power-off and lands in its backups.
    /// </summary>
    /// <exception cref="MountedFileStoreException">The directory is not on a tmpfs, or cannot be made.</exception>
    public static MountedFileStore Open(string root)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("berth runs on Linux");
        }

        var fullRoot = Path.GetFullPath(root);
        try
        {
            Directory.CreateDirectory(fullRoot, OwnerOnly);
            File.SetUnixFileMode(fullRoot, OwnerOnly);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new MountedFileStoreException($"cannot make the directory for secrets and configs '{fullRoot}': {exception.Message}", exception);
        }

        // Every link along the path resolved, not only the last one: /run/berth as a link to a disk
        // directory would otherwise pass for the tmpfs /run.
        var realRoot = Policy.HostPaths.Resolve(fullRoot);
        if (realRoot is null || !IsInMemory(realRoot))
        {
            var fileSystem = realRoot is null ? null : FileSystemTypeOf(realRoot);
            throw new MountedFileStoreException(
                $"the directory for secrets and configs '{fullRoot}' is on {fileSystem ?? "an unknown file system"}, not a tmpfs: berth writes secrets only to memory, never to a disk; " +
                "mount a tmpfs there (e.g. `mount -t tmpfs -o mode=0700 tmpfs DIR`) or configure a directory on one (/run usually is)");
        }

        return new MountedFileStore(fullRoot);
    }

    /// <summary>
    /// <see cref="Open"/>, or null with the reason: a host that runs no service with secrets or configs
    /// needs no tmpfs, and one that does is refused each such create with this reason.
    /// </summary>
    public static MountedFileStore? TryOpen(string root, out string? problem)
    {
        try
        {
            problem = null;
            return Open(root);
        }
        catch (MountedFileStoreException exception)
        {
            problem = exception.Message;
            return null;
        }
    }

    /// <summary>The generation directory of a service's containers (whether or not it exists yet).</summary>
    public string GenerationDirectory(string hostIdentity, ServiceSpec service) =>
        Path.Combine(Root, SafeName(hostIdentity), service.Stack, service.Name, service.ConfigHash);

    /// <summary>The file of the <paramref name="index"/>th mount of its kind (<see cref="ContainerSpec.Secrets"/> or Configs order).</summary>
    public static string FileName(FileMountSpec mount, int index) =>
        $"{(mount.Kind == FileMountKind.Secret ? "secret" : "config")}-{index}";

    /// <summary>
    /// Writes the service's secrets and configs into its generation directory, unless it is there
    /// already (the same config hash means the same contents); returns the directory.
    /// </summary>
    /// <exception cref="MountedFileStoreException">A content is not in memory (the spec came from the state file) and the directory is gone, or a write failed.</exception>
    public string Materialise(string hostIdentity, ServiceSpec service)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("berth runs on Linux");
        }

        var directory = GenerationDirectory(hostIdentity, service);
        if (Directory.Exists(directory))
        {
            return directory;
        }

        var container = service.Container;
        var missing = container.Secrets.Concat(container.Configs).FirstOrDefault(mount => mount.Content is null);
        if (missing is not null)
        {
            throw new MountedFileStoreException(
                $"{service.QualifiedName}: the content of {(missing.Kind == FileMountKind.Secret ? "secret" : "config")} '{missing.Name}' is not in memory: berth restarted since it read it, and its files are gone; it is read again from the next commit");
        }

        var temporary = directory + TemporarySuffix + "-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            CreateOwnerOnlyDirectories(Path.GetDirectoryName(directory)!);
            Directory.CreateDirectory(temporary, OwnerOnly);
            WriteAll(temporary, container.Secrets);
            WriteAll(temporary, container.Configs);
            Directory.Move(temporary, directory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            if (Directory.Exists(directory))
            {
                return directory; // written by a concurrent create of another replica: the same contents
            }

            throw new MountedFileStoreException($"{service.QualifiedName}: cannot write its secrets and configs under '{Root}': {exception.GetType().Name}", exception);
        }

        return directory;
    }

    /// <summary>Whether any generation directory exists (else a prune has nothing to do and need not list containers).</summary>
    public bool HasAny() => Directory.Exists(Root) && Directory.EnumerateDirectories(Root).Any();

    /// <summary>
    /// Removes every generation directory that no container uses (<paramref name="inUse"/>: the
    /// <see cref="InUseKey"/> of each existing container of berth's), and the directories left empty.
    /// A partial directory (a write interrupted by a crash) is removed too.
    /// </summary>
    public void Prune(IReadOnlySet<string> inUse)
    {
        foreach (var host in Directory.EnumerateDirectories(Root))
        {
            foreach (var stack in Directory.EnumerateDirectories(host))
            {
                foreach (var service in Directory.EnumerateDirectories(stack))
                {
                    foreach (var generation in Directory.EnumerateDirectories(service))
                    {
                        if (!inUse.Contains(Path.GetRelativePath(Root, generation)))
                        {
                            TryDelete(generation);
                        }
                    }

                    DeleteIfEmpty(service);
                }

                DeleteIfEmpty(stack);
            }

            DeleteIfEmpty(host);
        }
    }

    /// <summary>The key <see cref="Prune"/> expects for a container of this host identity, stack, service and config hash.</summary>
    public static string InUseKey(string hostIdentity, string stack, string service, string configHash) =>
        $"{SafeName(hostIdentity)}/{stack}/{service}/{configHash}";

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void WriteAll(string directory, IEnumerable<FileMountSpec> mounts)
    {
        var index = 0;
        foreach (var mount in mounts)
        {
            var path = Path.Combine(directory, FileName(mount, index++));
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(path, options))
            {
                stream.Write(mount.Content!.Bytes.AsSpan());
            }

            // Owner first, then the mode: chown clears set-id bits, and the file is never readable by
            // anyone but the daemon before it has its final owner.
            if (Chown(path, mount.Uid ?? 0, mount.Gid ?? 0) != 0)
            {
                throw new IOException($"chown failed (errno {Marshal.GetLastPInvokeError()})");
            }

            File.SetUnixFileMode(path, (UnixFileMode)mount.EffectiveMode);
        }
    }

    private void CreateOwnerOnlyDirectories(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Each level 0700: the root's mode alone would do, but a level made by hand must not widen it.
        var relative = Path.GetRelativePath(Root, directory);
        var current = Root;
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            Directory.CreateDirectory(current, OwnerOnly);
        }
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
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the next prune: a directory in use by a starting container is harmless.
        }
    }

    private static void DeleteIfEmpty(string directory)
    {
        try
        {
            if (!Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Something was written meanwhile: it stays.
        }
    }

    /// <summary>A host identity as one path component (it is free text in berth's configuration).</summary>
    private static string SafeName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.All(character => char.IsAsciiLetterOrDigit(character) || character is '.' or '_' or '-')
            ? name
            : "host-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..16];

    private const long TmpfsMagic = 0x01021994;
    private const long RamfsMagic = 0x858458F6;

    /// <summary>
    /// Whether <paramref name="path"/> is on a tmpfs or ramfs, from statfs's file system type: one call, where
    /// /proc/mounts (26 KB with 100 containers running, one line per container's overlay and network
    /// namespace) was read and split on every command (issue #16). /proc/mounts decides only when statfs fails.
    /// </summary>
    private static bool IsInMemory(string path)
    {
        // struct statfs begins with f_type, a long on 64-bit Linux and an int on 32-bit; 120 bytes on x86-64.
        var buffer = new byte[256];
        if (StatFs(path, buffer) != 0)
        {
            return FileSystemTypeOf(path) is "tmpfs" or "ramfs";
        }

        long type = IntPtr.Size == 8 ? BitConverter.ToInt64(buffer, 0) : BitConverter.ToUInt32(buffer, 0);
        return type is TmpfsMagic or RamfsMagic;
    }

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatFs(string path, byte[] buffer);

    /// <summary>The file system type of the mount that holds <paramref name="path"/>, from /proc/mounts (the longest mount point that contains it).</summary>
    internal static string? FileSystemTypeOf(string path)
    {
        string? bestType = null;
        var bestLength = -1;
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3)
            {
                continue;
            }

            var mountPoint = UnescapeMountPoint(fields[1]);
            var contains = mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);
            // Later lines mount over earlier ones at the same point: >= keeps the last.
            if (contains && mountPoint.Length >= bestLength)
            {
                bestLength = mountPoint.Length;
                bestType = fields[2];
            }
        }

        return bestType;
    }

    /// <summary>/proc/mounts writes space, tab, newline and backslash as \040, \011, \012, \134.</summary>
    private static string UnescapeMountPoint(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, int owner, int group);
}

/// <summary>The secrets-and-configs directory cannot be used, or a service's files cannot be written there.</summary>
public sealed class MountedFileStoreException(string message, Exception? innerException = null) : Exception(message, innerException);
