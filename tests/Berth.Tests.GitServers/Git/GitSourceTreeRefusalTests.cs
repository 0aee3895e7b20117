using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Git;

/// <summary>
/// Commits whose tree berth refuses (a person must fix the branch; never retried as transient), each
/// with the path and the reason, and nothing left on disk.
/// </summary>
public sealed class GitSourceTreeRefusalTests
{
    [Fact]
    public async Task FetchVerifiedTreeAsync_SharedBlobTreeOverTheEntryLimit_IsRefusedWithTheLimit()
    {
        // 10 entries per level, 4 levels, one blob: 11,110 entries from a few hundred bytes of objects.
        using var repository = await TestRepository.CreateAsync();
        var id = await RawTree.BlobAsync(repository, "x\n");
        var (mode, type) = ("100644", "blob");
        for (var level = 0; level < 4; level++)
        {
            var entries = Enumerable.Range(0, 10).Select(index => (mode, type, id, $"n{index}")).ToArray();
            id = await RawTree.TreeAsync(repository, entries);
            (mode, type) = ("040000", "tree");
        }

        await RawTree.PushAsTipAsync(repository, id, "Tree bomb");

        var (revision, leftInTrees) = await FetchAsync(repository);

        AssertRefused(revision, "more than 10000 files, directories and links");
        Assert.Empty(leftInTrees);
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_TreeDeeperThanTheLimit_IsRefusedWithTheLimit()
    {
        using var repository = await TestRepository.CreateAsync();
        var id = await RawTree.TreeAsync(repository, ("100644", "blob", await RawTree.BlobAsync(repository, "x\n"), "deep.conf"));
        for (var level = 0; level < 40; level++)
        {
            id = await RawTree.TreeAsync(repository, ("040000", "tree", id, "d"));
        }

        await RawTree.PushAsTipAsync(repository, id, "Deep");

        var (revision, _) = await FetchAsync(repository);

        AssertRefused(revision, "33 directories deep, more than the limit of 32");
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_FilesOverTheByteLimit_IsRefusedWithTheLimit()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync(new Dictionary<string, string?> { ["compose.yaml"] = "services: {}\n", ["big.bin"] = new string('x', 2000) }, "Big");
        await repository.PushAsync();

        var (revision, leftInTrees) = await FetchAsync(repository, new TreeExportLimits { MaxBytes = 1000 });

        AssertRefused(revision, "more than 1000 bytes of files");
        Assert.Empty(leftInTrees);
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_TwoLinksToTheirOwnDirectory_AreRefusedAsALoop()
    {
        using var repository = await TestRepository.CreateAsync();
        Directory.CreateDirectory(Path.Combine(repository.WorkPath, "conf"));
        File.CreateSymbolicLink(Path.Combine(repository.WorkPath, "conf", "a"), ".");
        File.CreateSymbolicLink(Path.Combine(repository.WorkPath, "conf", "b"), ".");
        await repository.CommitAsync("compose.yaml", "services: {}\n", "Loops");
        await repository.PushAsync();

        var (revision, leftInTrees) = await FetchAsync(repository);

        AssertRefused(revision, "symbolic link 'conf/a' -> '.' points at its own directory (a loop)");
        Assert.Empty(leftInTrees);
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_DotGitTreeEntry_IsARefusedCommitNamingThePath()
    {
        // git's fsck refuses a ".git" entry; it used to come back as a transient server error, retried forever.
        using var repository = await TestRepository.CreateAsync();
        var blob = await RawTree.BlobAsync(repository, "[core]\n\thooksPath = /tmp\n");
        var dotGit = await RawTree.TreeAsync(repository, ("100644", "blob", blob, "config"));
        var deploy = await RawTree.TreeAsync(repository, ("040000", "tree", dotGit, ".git"), ("100644", "blob", blob, "app.conf"));
        var root = await RawTree.TreeAsync(repository, ("040000", "tree", deploy, "deploy"), ("100644", "blob", await RawTree.BlobAsync(repository, "services: {}\n"), "compose.yaml"));
        await RawTree.PushAsTipAsync(repository, root, "Sneaky .git");

        var (revision, _) = await FetchAsync(repository);

        AssertRefused(revision, "'deploy/.git'");
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_Submodule_IsRefusedNamingThePath()
    {
        using var repository = await TestRepository.CreateAsync();
        var other = await repository.CommitAsync("compose.yaml", "services: {}\n", "Any commit id will do");
        var root = await RawTree.TreeAsync(repository,
            ("100644", "blob", await RawTree.BlobAsync(repository, "services: {}\n"), "compose.yaml"),
            ("040000", "tree", await RawTree.TreeAsync(repository, ("160000", "commit", other, "lib")), "vendor"));
        await RawTree.PushAsTipAsync(repository, root, "Submodule");

        var (revision, _) = await FetchAsync(repository);

        AssertRefused(revision, "'vendor/lib' is a submodule");
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_GitLfsPointer_IsRefusedNamingThePath()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync(new Dictionary<string, string?>
        {
            ["compose.yaml"] = "services: {}\n",
            ["certs/site.pem"] = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
        }, "LFS");
        await repository.PushAsync();

        var (revision, _) = await FetchAsync(repository);

        AssertRefused(revision, "'certs/site.pem' is a Git LFS pointer");
    }

    /// <returns>The revision, and what was left in the export root afterwards.</returns>
    private static async Task<(GitRevision Revision, List<string> LeftInTrees)> FetchAsync(TestRepository repository, TreeExportLimits? limits = null)
    {
        using var subject = new SourceUnderTest(repository.FileUrl, options => limits is null ? options : options with { ExportLimits = limits });
        var trees = subject.Scratch("trees");
        var revision = await subject.Source.FetchVerifiedTreeAsync(trees, CancellationToken.None);
        return (revision, [.. Directory.EnumerateFileSystemEntries(trees)]);
    }

    private static void AssertRefused(GitRevision revision, string expectedInMessage)
    {
        Assert.False(revision.Succeeded);
        Assert.NotNull(revision.Error);
        Assert.Equal(GitFailureReason.InvalidTree, revision.Error.Reason);
        Assert.False(revision.Error.IsTransient);
        Assert.Contains(expectedInMessage, revision.Error.Message, StringComparison.Ordinal);
    }
}
