using Berth.Reconciler.Reconciliation;

namespace Berth.Tests.Reconciliation;

/// <summary>The live directory's mirror: it follows the commits, and never loses what a container wrote.</summary>
public sealed class TreeMirrorTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "berth-mirror-" + Guid.NewGuid().ToString("N")[..12]);

    private string Live => Path.Combine(root, "repo");

    private string ManifestPath => Path.Combine(root, "repo.manifest.json");

    [Fact]
    public void Sync_FileRemovedFromTheCommit_IsDeletedWithItsEmptyDirectory()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a"), ("config/app.conf", "x")), Live, ManifestPath);

        var kept = TreeMirror.Sync(Commit(("compose.yaml", "b")), Live, ManifestPath);

        Assert.Empty(kept);
        Assert.Equal("b", File.ReadAllText(Path.Combine(Live, "compose.yaml")));
        Assert.False(Path.Exists(Path.Combine(Live, "config")));
    }

    [Fact]
    public void Sync_DirectoryBerthWroteBecomesAFile_AndBackAgain()
    {
        // config/ (berth's own files only) becomes a file, then the old revision is restored.
        var directoryRevision = Commit(("compose.yaml", "a"), ("config/app.conf", "x"), ("config/sub/more.conf", "y"));
        TreeMirror.Sync(directoryRevision, Live, ManifestPath);

        TreeMirror.Sync(Commit(("compose.yaml", "b"), ("config", "one file now")), Live, ManifestPath);
        Assert.Equal("one file now", File.ReadAllText(Path.Combine(Live, "config")));

        TreeMirror.Sync(directoryRevision, Live, ManifestPath);
        Assert.Equal("x", File.ReadAllText(Path.Combine(Live, "config", "app.conf")));
        Assert.Equal("y", File.ReadAllText(Path.Combine(Live, "config", "sub", "more.conf")));
    }

    [Fact]
    public void Sync_DirectoryWithAContainersDataBecomesAFile_IsRefused()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a"), ("config/app.conf", "x")), Live, ManifestPath);
        File.WriteAllText(Path.Combine(Live, "config", "written-by-a-container"), "data");

        var conflict = Assert.Throws<TreeMirrorConflictException>(() => TreeMirror.Sync(Commit(("config", "one file now")), Live, ManifestPath));

        Assert.Contains("config: a directory is where the commit has a file", conflict.Message, StringComparison.Ordinal);
        Assert.Equal("data", File.ReadAllText(Path.Combine(Live, "config", "written-by-a-container")));
    }

    [Fact]
    public void Sync_ContainerWroteIntoABindDirectory_KeepsTheDataAcrossCommits()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a"), ("data/.gitkeep", "")), Live, ManifestPath);
        File.WriteAllText(Path.Combine(Live, "data", "db.sqlite"), "rows");
        Directory.CreateDirectory(Path.Combine(Live, "uploads", "2026"));
        File.WriteAllText(Path.Combine(Live, "uploads", "2026", "a.png"), "png");

        // The next commit drops data/ (and its .gitkeep) entirely.
        TreeMirror.Sync(Commit(("compose.yaml", "b")), Live, ManifestPath);

        Assert.Equal("rows", File.ReadAllText(Path.Combine(Live, "data", "db.sqlite")));
        Assert.Equal("png", File.ReadAllText(Path.Combine(Live, "uploads", "2026", "a.png")));
        Assert.False(File.Exists(Path.Combine(Live, "data", ".gitkeep")));
    }

    [Fact]
    public void Sync_TrackedFileAContainerChanged_IsKeptWhenTheCommitRemovesIt()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a"), ("state/seed.db", "seed")), Live, ManifestPath);
        File.WriteAllText(Path.Combine(Live, "state", "seed.db"), "seed plus a week of writes");

        var kept = TreeMirror.Sync(Commit(("compose.yaml", "a")), Live, ManifestPath);

        Assert.Equal(["state/seed.db"], kept);
        Assert.Equal("seed plus a week of writes", File.ReadAllText(Path.Combine(Live, "state", "seed.db")));
    }

    [Fact]
    public void Sync_CommitAddsAPathAContainerAlreadyWrote_RefusesAndChangesNothing()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a"), ("old.conf", "o")), Live, ManifestPath);
        Directory.CreateDirectory(Path.Combine(Live, "data"));
        File.WriteAllText(Path.Combine(Live, "data", "db"), "rows");

        var conflict = Assert.Throws<TreeMirrorConflictException>(() =>
            TreeMirror.Sync(Commit(("compose.yaml", "b"), ("data/db", "seed")), Live, ManifestPath));

        Assert.Contains("data/db: an untracked file with other content exists", conflict.Message, StringComparison.Ordinal);
        Assert.Equal("rows", File.ReadAllText(Path.Combine(Live, "data", "db")));
        Assert.Equal("a", File.ReadAllText(Path.Combine(Live, "compose.yaml")));
        Assert.True(File.Exists(Path.Combine(Live, "old.conf")));
    }

    [Fact]
    public void Sync_SymbolicLinkAContainerMadeOnTheWay_IsRefusedNotWrittenThrough()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a")), Live, ManifestPath);
        var outside = Path.Combine(root, "outside");
        Directory.CreateDirectory(outside);
        Directory.CreateSymbolicLink(Path.Combine(Live, "data"), outside);

        Assert.Throws<TreeMirrorConflictException>(() => TreeMirror.Sync(Commit(("compose.yaml", "a"), ("data/x", "y")), Live, ManifestPath));

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void Sync_NoManifestYet_AdoptsExistingFilesAndDeletesNothing()
    {
        // A state directory from a berth that kept no manifest: anything there may be data.
        Directory.CreateDirectory(Live);
        File.WriteAllText(Path.Combine(Live, "compose.yaml"), "old");
        File.WriteAllText(Path.Combine(Live, "unknown.txt"), "?");

        TreeMirror.Sync(Commit(("compose.yaml", "new")), Live, ManifestPath);

        Assert.Equal("new", File.ReadAllText(Path.Combine(Live, "compose.yaml")));
        Assert.True(File.Exists(Path.Combine(Live, "unknown.txt")));
    }

    [Fact]
    public void Sync_ChangedFile_IsRewrittenInPlaceForSingleFileBindMounts()
    {
        TreeMirror.Sync(Commit(("app.conf", "v1")), Live, ManifestPath);
        var path = Path.Combine(Live, "app.conf");
        using var heldOpen = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);

        TreeMirror.Sync(Commit(("app.conf", "v2")), Live, ManifestPath);

        // The handle opened before the sync (same inode, as a bind mount holds it) sees the new content.
        heldOpen.Position = 0;
        Assert.Equal("v2", new StreamReader(heldOpen).ReadToEnd());
    }

    private string Commit(params (string Path, string Content)[] files)
    {
        var directory = Path.Combine(root, "export-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        foreach (var (relative, content) in files)
        {
            var path = Path.Combine(directory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }

        return directory;
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
