using Berth.Reconciler.Reconciliation;

namespace Berth.Tests.Reconciliation;

/// <summary>The live directory's mirror: it follows the commits, and never loses what a container wrote.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
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
    public void Sync_Manifest_IsOwnerOnlyLikeTheStateFile()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a")), Live, ManifestPath);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ManifestPath));
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

    [Fact]
    public void Sync_FileSwappedForALinkBetweenCheckAndWrite_NeverWritesOrChmodsThroughIt()
    {
        // A container with a bind of the directory swaps a committed file for a link to a host file
        // at the worst moment: after berth checked the path, before it writes.
        TreeMirror.Sync(Commit(("app.conf", "v1")), Live, ManifestPath);
        var outside = OutsideFile();
        var livePath = Path.Combine(Live, "app.conf");

        var conflict = Assert.Throws<TreeMirrorConflictException>(() => TreeMirror.Sync(Commit(("app.conf", "v2")), Live, ManifestPath,
            beforeWrite: relative => SwapForLink(livePath, outside)));

        Assert.Contains("app.conf: a symbolic link is where the commit has a file", conflict.Message, StringComparison.Ordinal);
        Assert.Equal("secret", File.ReadAllText(outside));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outside));
    }

    [Fact]
    public void Sync_NewFileNameTakenByALinkBetweenCheckAndWrite_NeverWritesThroughIt()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a")), Live, ManifestPath);
        var outside = OutsideFile();
        var livePath = Path.Combine(Live, "new.conf");

        Assert.Throws<TreeMirrorConflictException>(() => TreeMirror.Sync(Commit(("compose.yaml", "a"), ("new.conf", "v1")), Live, ManifestPath,
            beforeWrite: relative => { if (relative == "new.conf") { File.CreateSymbolicLink(livePath, outside); } }));

        Assert.Equal("secret", File.ReadAllText(outside));
        Assert.Equal(outside, new FileInfo(livePath).LinkTarget);
    }

    [Fact]
    public void Sync_DirectorySwappedForALinkBetweenCheckAndWrite_NeverWritesThroughIt()
    {
        TreeMirror.Sync(Commit(("config/app.conf", "v1")), Live, ManifestPath);
        var outsideDirectory = Path.Combine(root, "outside-dir");
        Directory.CreateDirectory(outsideDirectory);
        File.WriteAllText(Path.Combine(outsideDirectory, "app.conf"), "host file");
        var liveDirectory = Path.Combine(Live, "config");

        Assert.Throws<TreeMirrorConflictException>(() => TreeMirror.Sync(Commit(("config/app.conf", "v2")), Live, ManifestPath,
            beforeWrite: relative =>
            {
                Directory.Delete(liveDirectory, recursive: true);
                Directory.CreateSymbolicLink(liveDirectory, outsideDirectory);
            }));

        Assert.Equal("host file", File.ReadAllText(Path.Combine(outsideDirectory, "app.conf")));
    }

    [Fact]
    public void Sync_ModeOnlyChangeOnAFileSwappedForALink_DoesNotChmodThroughIt()
    {
        var export = Commit(("run.sh", "#!/bin/sh\n"));
        TreeMirror.Sync(export, Live, ManifestPath);
        File.SetUnixFileMode(Path.Combine(export, "run.sh"), (UnixFileMode)0b111_101_101);
        var outside = OutsideFile();

        Assert.Throws<TreeMirrorConflictException>(() => TreeMirror.Sync(export, Live, ManifestPath,
            beforeWrite: relative => SwapForLink(Path.Combine(Live, "run.sh"), outside)));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outside));
    }

    [Fact]
    public async Task Sync_AContainerSwappingAFileForALinkAllTheTime_NeverReachesTheOutsideFile()
    {
        // The deterministic tests above strike at one moment; this one lets a racing writer strike at
        // any moment of 300 syncs (a few seconds). Every sync either succeeds or refuses; the host file never changes.
        TreeMirror.Sync(Commit(("app.conf", "v0")), Live, ManifestPath);
        var outside = OutsideFile();
        var livePath = Path.Combine(Live, "app.conf");
        var exports = Enumerable.Range(1, 300).Select(index => Commit(("app.conf", $"v{index}"))).ToList();
        using var stop = new CancellationTokenSource();
        var swapper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    SwapForLink(livePath, outside);
                    File.Delete(livePath);
                    File.WriteAllText(livePath, "v0");
                }
                catch (IOException)
                {
                    // berth renamed or rewrote the file meanwhile: strike again.
                }
            }
        });

        foreach (var export in exports)
        {
            try
            {
                TreeMirror.Sync(export, Live, ManifestPath);
            }
            catch (TreeMirrorConflictException)
            {
                // Refused: the link was there at the check or at the write.
            }
        }

        await stop.CancelAsync();
        await swapper;
        Assert.Equal("secret", File.ReadAllText(outside));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outside));
    }

    [Fact]
    public async Task Sync_TwoLinksToTheirOwnDirectory_AreMirroredAsLinksWithoutWalkingThem()
    {
        // `conf/a -> .` and `conf/b -> .`: following them doubles the paths at every level.
        var export = Commit(("conf/app.conf", "x"));
        File.CreateSymbolicLink(Path.Combine(export, "conf", "a"), ".");
        File.CreateSymbolicLink(Path.Combine(export, "conf", "b"), ".");

        await Task.Run(() => TreeMirror.Sync(export, Live, ManifestPath)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(".", new FileInfo(Path.Combine(Live, "conf", "a")).LinkTarget);
        Assert.Equal(".", new FileInfo(Path.Combine(Live, "conf", "b")).LinkTarget);
        Assert.Equal(["a", "app.conf", "b"], Directory.EnumerateFileSystemEntries(Path.Combine(Live, "conf")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Sync_CommittedLinkToAFile_IsALinkAndFollowsTheCommits()
    {
        var withLink = Commit(("shared/env", "A=1"));
        File.CreateSymbolicLink(Path.Combine(withLink, "env"), "shared/env");
        TreeMirror.Sync(withLink, Live, ManifestPath);
        Assert.Equal("shared/env", new FileInfo(Path.Combine(Live, "env")).LinkTarget);

        // The link becomes a file, then the file becomes a link again: berth's own entries are replaced.
        TreeMirror.Sync(Commit(("shared/env", "A=1"), ("env", "B=2")), Live, ManifestPath);
        Assert.Null(new FileInfo(Path.Combine(Live, "env")).LinkTarget);
        Assert.Equal("B=2", File.ReadAllText(Path.Combine(Live, "env")));

        TreeMirror.Sync(withLink, Live, ManifestPath);
        Assert.Equal("shared/env", new FileInfo(Path.Combine(Live, "env")).LinkTarget);
    }

    [Fact]
    public void Sync_LinkAContainerMadeWhereTheCommitHasALink_IsRefused()
    {
        TreeMirror.Sync(Commit(("compose.yaml", "a")), Live, ManifestPath);
        File.CreateSymbolicLink(Path.Combine(Live, "env"), OutsideFile());
        var withLink = Commit(("shared/env", "A=1"));
        File.CreateSymbolicLink(Path.Combine(withLink, "env"), "shared/env");

        var conflict = Assert.Throws<TreeMirrorConflictException>(() => TreeMirror.Sync(withLink, Live, ManifestPath));

        Assert.Contains("env: a symbolic link is where the commit has a symbolic link", conflict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sync_NoManifestYet_AdoptsALinkWithTheCommitsTarget()
    {
        Directory.CreateDirectory(Path.Combine(Live, "shared"));
        File.CreateSymbolicLink(Path.Combine(Live, "env"), "shared/env");
        var withLink = Commit(("shared/env", "A=1"));
        File.CreateSymbolicLink(Path.Combine(withLink, "env"), "shared/env");

        TreeMirror.Sync(withLink, Live, ManifestPath);

        Assert.Equal("A=1", File.ReadAllText(Path.Combine(Live, "env")));
    }

    [Fact]
    public void Sync_NewDirectories_Are0755AndAnExistingOneKeepsItsMode()
    {
        TreeMirror.Sync(Commit(("config/app.conf", "x")), Live, ManifestPath);
        Directory.CreateDirectory(Path.Combine(Live, "data"));
        File.SetUnixFileMode(Path.Combine(Live, "data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        TreeMirror.Sync(Commit(("config/app.conf", "x"), ("config/sub/more.conf", "y"), ("data/.gitkeep", "")), Live, ManifestPath);

        const UnixFileMode Shared = (UnixFileMode)0b111_101_101;
        Assert.Equal(Shared, File.GetUnixFileMode(Path.Combine(Live, "config")));
        Assert.Equal(Shared, File.GetUnixFileMode(Path.Combine(Live, "config", "sub")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(Live, "data")));
    }

    private string OutsideFile()
    {
        var outside = Path.Combine(root, "outside-secret");
        File.WriteAllText(outside, "secret");
        File.SetUnixFileMode(outside, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return outside;
    }

    private static void SwapForLink(string path, string linkTarget)
    {
        File.Delete(path);
        File.CreateSymbolicLink(path, linkTarget);
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
