using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Git;

/// <summary>ExportTree writes exactly one commit's tree (or sub-path): not the working directory, not a later commit.</summary>
public sealed class GitSourceExportTests
{
    [Fact]
    public async Task ExportTreeAsync_SubPathOfAnOlderCommit_WritesExactlyThatTree()
    {
        using var repository = await TestRepository.CreateAsync();
        var first = await repository.CommitAsync(new Dictionary<string, string?>
        {
            ["README.md"] = "not desired state\n",
            ["hosts/web1/stacks/web/compose.yaml"] = "services:\n  web: {}\n",
            ["hosts/web1/stacks/db/compose.yaml"] = "services:\n  db: {}\n",
            ["hosts/web1/inventory.yaml"] = "host: web1\n",
        }, "First");
        await repository.CommitAsync(new Dictionary<string, string?>
        {
            ["hosts/web1/stacks/web/compose.yaml"] = "services:\n  web: {image: v2}\n",
            ["hosts/web1/stacks/cache/compose.yaml"] = "services:\n  cache: {}\n",
            ["hosts/web1/inventory.yaml"] = null,
        }, "Later");
        await repository.PushAsync();
        // Uncommitted state in the author's working copy must never show up either.
        await File.WriteAllTextAsync(Path.Combine(repository.WorkPath, "hosts/web1/uncommitted.yaml"), "x: 1\n");
        using var subject = new SourceUnderTest(repository.FileUrl, options => options with { SubPath = "hosts/web1" });
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var target = Path.Combine(subject.Scratch("exports"), first[..12]);

        var exported = await subject.Source.ExportTreeAsync(first, target, CancellationToken.None);

        Assert.Equal(target, exported);
        Assert.Equal(
            ["inventory.yaml", "stacks/db/compose.yaml", "stacks/web/compose.yaml"],
            ListFiles(exported));
        Assert.Equal("services:\n  web: {}\n", await File.ReadAllTextAsync(Path.Combine(exported, "stacks/web/compose.yaml")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(target)!, ".*partial*"));
    }

    [Fact]
    public async Task ExportTreeAsync_ExecutableFileAndInwardSymlink_ArePreserved()
    {
        using var repository = await TestRepository.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(repository.WorkPath, "hook.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(repository.WorkPath, "hook.sh"), (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(repository.WorkPath, "shared"));
        await File.WriteAllTextAsync(Path.Combine(repository.WorkPath, "shared/env"), "A=1\n");
        File.CreateSymbolicLink(Path.Combine(repository.WorkPath, "env"), "shared/env");
        var sha = await repository.CommitAsync(new Dictionary<string, string?>(), "Modes");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);

        var exported = await subject.Source.ExportTreeAsync(sha, Path.Combine(subject.Scratch("exports"), "modes"), CancellationToken.None);

        Assert.True(File.GetUnixFileMode(Path.Combine(exported, "hook.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.GetUnixFileMode(Path.Combine(exported, "shared/env")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("shared/env", new FileInfo(Path.Combine(exported, "env")).LinkTarget);
        Assert.Equal("A=1\n", await File.ReadAllTextAsync(Path.Combine(exported, "env")));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../../../etc/passwd")]
    public async Task ExportTreeAsync_SymlinkPointingOutside_IsRefusedAndLeavesNothing(string linkTarget)
    {
        using var repository = await TestRepository.CreateAsync();
        File.CreateSymbolicLink(Path.Combine(repository.WorkPath, "secrets.env"), linkTarget);
        var sha = await repository.CommitAsync("compose.yaml", "services: {}\n", "Sneaky link");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var exports = subject.Scratch("exports");

        var exception = await Assert.ThrowsAsync<GitSourceException>(() => subject.Source.ExportTreeAsync(sha, Path.Combine(exports, "x"), CancellationToken.None));

        Assert.Equal(GitFailureReason.InvalidTree, exception.Error.Reason);
        Assert.Contains("secrets.env", exception.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(exports));
    }

    [Fact]
    public async Task ExportTreeAsync_SubPathMissingInCommit_ThrowsInvalidTree()
    {
        using var repository = await TestRepository.CreateAsync();
        var sha = await repository.CommitAsync("other/compose.yaml", "services: {}\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl, options => options with { SubPath = "hosts/web1" });
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);

        var exception = await Assert.ThrowsAsync<GitSourceException>(() => subject.Source.ExportTreeAsync(sha, Path.Combine(subject.Scratch("exports"), "x"), CancellationToken.None));

        Assert.Equal(GitFailureReason.InvalidTree, exception.Error.Reason);
        Assert.Contains("hosts/web1", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportTreeAsync_TargetNotEmpty_ThrowsAndDoesNotTouchIt()
    {
        using var repository = await TestRepository.CreateAsync();
        var sha = await repository.CommitAsync("compose.yaml", "services: {}\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var target = subject.Scratch("busy");
        await File.WriteAllTextAsync(Path.Combine(target, "mine.txt"), "keep me");

        await Assert.ThrowsAsync<GitSourceException>(() => subject.Source.ExportTreeAsync(sha, target, CancellationToken.None));

        Assert.Equal(["mine.txt"], ListFiles(target));
    }

    private static List<string> ListFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(directory, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
}
