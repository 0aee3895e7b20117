using System.Collections.Immutable;
using System.Text;
using Berth.Reconciler.Secrets.Files;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Spec;

namespace Berth.Tests.Secrets;

/// <summary>The tmpfs directory of secrets and configs, on the host's real /dev/shm (a tmpfs) and /tmp.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MountedFileStoreTests : IDisposable
{
    private readonly string root = Path.Combine("/dev/shm", "berth-test-files-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static ServiceSpec WebWith(string content, int? mode = null)
    {
        var web = SpecTestRepository.LoadService("image: busybox\n");
        var secret = new FileMountSpec(FileMountKind.Secret, "pw", "/run/secrets/pw", null, null, mode, "hmac-sha256:" + content.Length)
        {
            Content = new FileContent([.. Encoding.UTF8.GetBytes(content)]),
        };
        return web with { Container = web.Container with { Secrets = [secret] } };
    }

    [Fact]
    public void Open_ADirectoryNotOnATmpfs_IsRefusedWithTheReason()
    {
        // Next to the test assembly: on the build's disk, never a tmpfs.
        var onDisk = Path.Combine(AppContext.BaseDirectory, "berth-not-tmpfs-" + Guid.NewGuid().ToString("N"));
        try
        {
            var exception = Assert.Throws<MountedFileStoreException>(() => MountedFileStore.Open(onDisk));

            Assert.Contains("not a tmpfs", exception.Message, StringComparison.Ordinal);
            // The refusal names the file system it found (statfs decides; /proc/mounts names it).
            Assert.DoesNotContain("unknown file system", exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(onDisk, recursive: true);
        }
    }

    [Fact]
    public void Open_ADirectoryUnderALinkFromATmpfsToADisk_IsRefused()
    {
        // root (on /dev/shm) holds a link to a directory on the disk: <root>/link/files lies on the disk,
        // although its path starts in the tmpfs.
        var onDisk = Path.Combine(AppContext.BaseDirectory, "berth-link-target-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(onDisk);
        Directory.CreateDirectory(root);
        File.CreateSymbolicLink(Path.Combine(root, "link"), onDisk);
        try
        {
            var exception = Assert.Throws<MountedFileStoreException>(() => MountedFileStore.Open(Path.Combine(root, "link", "files")));

            Assert.Contains("not a tmpfs", exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(onDisk, recursive: true);
        }
    }

    [Fact]
    public void Materialise_WritesEachFileWithItsModeInAnOwnerOnlyDirectory_AndPruneRemovesWhatNoContainerUses()
    {
        var store = MountedFileStore.Open(root);
        var web = WebWith("first");

        var directory = store.Materialise("host1", web);
        var file = Path.Combine(directory, MountedFileStore.FileName(web.Container.Secrets[0], 0));

        Assert.Equal("first", File.ReadAllText(file));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(root));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));

        store.Prune(new HashSet<string> { MountedFileStore.InUseKey("host1", web.Stack, web.Name, web.ConfigHash) });
        Assert.True(File.Exists(file));

        store.Prune(new HashSet<string>());
        Assert.False(Directory.Exists(directory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public void Materialise_ANewContent_GetsItsOwnGeneration_TheOldOneStaysUntilPruned()
    {
        var store = MountedFileStore.Open(root);
        var old = WebWith("old", mode: 0x124);
        var changed = WebWith("newer");

        var oldDirectory = store.Materialise("host1", old);
        var newDirectory = store.Materialise("host1", changed);

        Assert.NotEqual(oldDirectory, newDirectory);
        Assert.Equal("old", File.ReadAllText(Path.Combine(oldDirectory, "secret-0")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(oldDirectory, "secret-0")));
        Assert.Equal("newer", File.ReadAllText(Path.Combine(newDirectory, "secret-0")));
    }

    [Fact]
    public void Materialise_WithoutContentInMemory_ReusesAnExistingGeneration_ElseSaysWhy()
    {
        var store = MountedFileStore.Open(root);
        var web = WebWith("kept");
        var fromState = web with { Container = web.Container with { Secrets = [web.Container.Secrets[0] with { Content = null }] } };

        var exception = Assert.Throws<MountedFileStoreException>(() => store.Materialise("host1", fromState));
        Assert.Contains("not in memory", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("kept", exception.Message, StringComparison.Ordinal);

        var directory = store.Materialise("host1", web);
        Assert.Equal(directory, store.Materialise("host1", fromState));
    }
}
