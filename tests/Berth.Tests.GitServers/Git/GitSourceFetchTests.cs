using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;
using Berth.Tests.Servers;
using Microsoft.Extensions.Logging;

namespace Berth.Tests.Git;

/// <summary>Fetch behaviour against a real `git daemon` (git://) and the local transports.</summary>
public sealed class GitSourceFetchTests
{
    [Fact]
    public async Task FetchAsync_FirstFetchFromGitDaemon_ClonesTheBranchTip()
    {
        using var repository = await TestRepository.CreateAsync();
        var first = await repository.CommitAsync("stacks/web/compose.yaml", "services: {}\n", "Add web stack");
        await repository.PushAsync();
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(GitDaemonServer.UrlFor(daemon, repository.BareName));

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.True(result.Fetched);
        Assert.Null(result.PreviousTip);
        Assert.Equal(first, result.Tip);
        Assert.False(result.ForcePushed);
        Assert.Equal("Add web stack", result.Commit?.Summary);
        Assert.Equal("Alice Operator", result.Commit?.AuthorName);
        Assert.Equal("alice@example.com", result.Commit?.AuthorEmail);
    }

    [Fact]
    public async Task FetchAsync_NewCommitAfterFirstFetch_FetchesOnlyTheNewObjects()
    {
        using var repository = await TestRepository.CreateAsync();
        var first = await repository.CommitAsync(new Dictionary<string, string?> { ["a.yaml"] = "a: 1\n", ["b/c.yaml"] = "c: 1\n" }, "First");
        await repository.PushAsync();
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(GitDaemonServer.UrlFor(daemon, repository.BareName));
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var objectsAfterFirstFetch = await TestRepository.CountObjectsAsync(subject.MirrorPath);

        // One changed file at the root: exactly a new commit, a new root tree and a new blob.
        var second = await repository.CommitAsync("a.yaml", "a: 2\n", "Second");
        await repository.PushAsync();
        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.True(result.Fetched);
        Assert.Equal(first, result.PreviousTip);
        Assert.Equal(second, result.Tip);
        Assert.False(result.ForcePushed);
        Assert.Equal(objectsAfterFirstFetch + 3, await TestRepository.CountObjectsAsync(subject.MirrorPath));
    }

    [Fact]
    public async Task FetchAsync_NothingChangedSinceLastFetch_DoesNotFetch()
    {
        using var repository = await TestRepository.CreateAsync();
        var tip = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(GitDaemonServer.UrlFor(daemon, repository.BareName));
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var objects = await TestRepository.CountObjectsAsync(subject.MirrorPath);

        var check = await subject.Source.CheckRemoteAsync(CancellationToken.None);
        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(check.Succeeded, check.Error?.ToString());
        Assert.False(check.HasChanged);
        Assert.Equal(tip, check.RemoteTip);
        Assert.Equal(tip, check.LocalTip);
        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.False(result.Fetched);
        Assert.False(result.TipChanged);
        Assert.Equal(tip, result.Tip);
        Assert.Equal(objects, await TestRepository.CountObjectsAsync(subject.MirrorPath));
    }

    [Fact]
    public async Task CheckRemoteAsync_BranchMovedAfterFetch_ReportsChangeWithoutFetchingObjects()
    {
        using var repository = await TestRepository.CreateAsync();
        var first = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(GitDaemonServer.UrlFor(daemon, repository.BareName));
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var objects = await TestRepository.CountObjectsAsync(subject.MirrorPath);
        var second = await repository.CommitAsync("a.yaml", "a: 2\n", "Second");
        await repository.PushAsync();

        var check = await subject.Source.CheckRemoteAsync(CancellationToken.None);

        Assert.True(check.HasChanged);
        Assert.Equal(second, check.RemoteTip);
        Assert.Equal(first, check.LocalTip);
        Assert.Equal(objects, await TestRepository.CountObjectsAsync(subject.MirrorPath));
    }

    [Fact]
    public async Task FetchAsync_BranchForcePushed_FollowsTheNewTipAndLogsIt()
    {
        using var repository = await TestRepository.CreateAsync();
        var root = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        var doomed = await repository.CommitAsync("a.yaml", "a: 2\n", "To be rewritten");
        await repository.PushAsync();
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(GitDaemonServer.UrlFor(daemon, repository.BareName));
        Assert.Equal(doomed, (await subject.Source.FetchAsync(CancellationToken.None)).Tip);

        await repository.ResetHardAsync(root);
        var rewritten = await repository.CommitAsync("a.yaml", "a: 3\n", "Rewritten history");
        await repository.PushAsync(force: true);
        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.True(result.ForcePushed);
        Assert.Equal(doomed, result.PreviousTip);
        Assert.Equal(rewritten, result.Tip);
        Assert.Contains(subject.Logger.Entries, entry => entry.Level == LogLevel.Warning && entry.EventId.Id == 6004 && entry.Message.Contains(doomed, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_BranchDeleted_ReturnsBranchNotFoundAndKeepsTheLastTip()
    {
        using var repository = await TestRepository.CreateAsync();
        var tip = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await repository.PushAsync(branch: "other"); // the repository must still exist and answer
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(GitDaemonServer.UrlFor(daemon, repository.BareName));
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);

        await repository.DeleteUpstreamBranchAsync("main");
        var result = await subject.Source.FetchAsync(CancellationToken.None);
        var check = await subject.Source.CheckRemoteAsync(CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(GitFailureReason.BranchNotFound, result.Error!.Reason);
        Assert.False(result.Error.IsTransient);
        Assert.Contains("branch 'main' does not exist", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(tip, result.Tip); // the last good tip stays usable: the host keeps running it
        Assert.Equal(GitFailureReason.BranchNotFound, check.Error?.Reason);
        // Still exportable after the branch is gone.
        var export = await subject.Source.ExportTreeAsync(tip, Path.Combine(subject.Scratch("exports"), "kept"), CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(export, "a.yaml")));
    }

    [Theory]
    [InlineData("git")]
    [InlineData("file")]
    public async Task FetchAsync_BranchFloodEndingInTheBranchName_StillFollowsTheBranch(string transport)
    {
        using var repository = await TestRepository.CreateAsync();
        var first = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        // 1,200 names of ~50 characters: more ls-remote output than a bounded capture keeps (64K).
        await repository.PushBranchFloodAsync(1200);
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(transport == "git" ? GitDaemonServer.UrlFor(daemon, repository.BareName) : repository.FileUrl);

        var firstResult = await subject.Source.FetchAsync(CancellationToken.None);
        var second = await repository.CommitAsync("a.yaml", "a: 2\n", "Second");
        await repository.PushAsync();
        var check = await subject.Source.CheckRemoteAsync(CancellationToken.None);
        var secondResult = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(firstResult.Succeeded, firstResult.Error?.ToString());
        Assert.Equal(first, firstResult.Tip);
        Assert.True(check.Succeeded, check.Error?.ToString());
        Assert.Equal(second, check.RemoteTip);
        Assert.True(secondResult.Succeeded, secondResult.Error?.ToString());
        Assert.Equal(second, secondResult.Tip);
        Assert.False(secondResult.ForcePushed);
    }

    [Fact]
    public async Task FetchAsync_RepositoryNotServed_ReturnsRepositoryNotFound()
    {
        using var repository = await TestRepository.CreateAsync();
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        using var subject = new SourceUnderTest(GitDaemonServer.UrlFor(daemon, "missing.git"));

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.Equal(GitFailureReason.RepositoryNotFound, result.Error?.Reason);
        Assert.False(result.Error!.IsTransient);
    }

    [Fact]
    public async Task FetchAsync_NothingListening_ReturnsTransientNetworkError()
    {
        using var subject = new SourceUnderTest($"git://127.0.0.1:{FreePort.Next()}/upstream.git");

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.Equal(GitFailureReason.NetworkError, result.Error?.Reason);
        Assert.True(result.Error!.IsTransient);
        Assert.Null(result.Tip);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FetchAsync_LocalPathOrFileUrl_ClonesAndFollows(bool useFileUrl)
    {
        using var repository = await TestRepository.CreateAsync();
        var first = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(useFileUrl ? repository.FileUrl : repository.BarePath);

        var firstResult = await subject.Source.FetchAsync(CancellationToken.None);
        var second = await repository.CommitAsync("a.yaml", "a: 2\n", "Second");
        await repository.PushAsync();
        var secondResult = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.Equal(first, firstResult.Tip);
        Assert.Equal(second, secondResult.Tip);
        Assert.Equal(first, secondResult.PreviousTip);
    }

    [Fact]
    public async Task FetchAsync_StaleLockLeftByAKilledFetch_IsRemovedAndTheFetchSucceeds()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var second = await repository.CommitAsync("a.yaml", "a: 2\n", "Second");
        await repository.PushAsync();
        // What a fetch killed half-way through leaves behind.
        var lockFile = Path.Combine(subject.MirrorPath, "refs", "remotes", "origin", "main.lock");
        await File.WriteAllTextAsync(lockFile, "");

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(second, result.Tip);
        Assert.False(File.Exists(lockFile));
        Assert.Contains(subject.Logger.Entries, entry => entry.EventId.Id == 6007);
    }

    [Fact]
    public async Task FetchAsync_MirrorRefPointsToMissingObject_ResetsTheMirrorAndRecovers()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var second = await repository.CommitAsync("a.yaml", "a: 2\n", "Second");
        await repository.PushAsync();
        // What a full disk or a crash during a ref update can leave: a ref to an object that is not there.
        await File.WriteAllTextAsync(Path.Combine(subject.MirrorPath, "refs", "remotes", "origin", "main"), new string('1', 40) + "\n");

        var broken = await subject.Source.FetchAsync(CancellationToken.None);
        var recovered = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.False(broken.Succeeded);
        Assert.True(broken.Error!.IsTransient);
        Assert.Contains("has been reset", broken.Error.Message, StringComparison.Ordinal);
        Assert.True(recovered.Succeeded, recovered.Error?.ToString());
        Assert.Equal(second, recovered.Tip);
    }

    [Fact]
    public async Task FetchAsync_SourceUrlChanged_DoesNotReportAForcePush()
    {
        using var first = await TestRepository.CreateAsync();
        await first.CommitAsync("a.yaml", "a: 1\n", "First repository");
        await first.PushAsync();
        using var second = await TestRepository.CreateAsync();
        var secondTip = await second.CommitAsync("a.yaml", "a: 2\n", "Second repository");
        await second.PushAsync();
        using var subject = new SourceUnderTest(first.FileUrl);
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);

        using var moved = new GitSource(subject.Options with { Url = second.FileUrl }, TimeProvider.System, subject.Logger);
        var result = await moved.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(secondTip, result.Tip);
        Assert.Null(result.PreviousTip);
        Assert.False(result.ForcePushed);
    }
}
