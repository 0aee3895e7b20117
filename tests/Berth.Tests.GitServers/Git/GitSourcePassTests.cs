using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Git;

/// <summary>The one-call pass the CLI uses: fetch, verify, export.</summary>
public sealed class GitSourcePassTests
{
    [Fact]
    public async Task FetchVerifiedTreeAsync_SignedBranch_ReturnsTheExportedTree()
    {
        using var keys = new TempDirectory("pass");
        var key = await SshKeyPair.CreateAsync(keys.Path, "alice", "alice@example.com");
        await File.WriteAllTextAsync(keys.Combine("allowed_signers"), key.AllowedSignersLine + "\n");
        using var repository = await TestRepository.CreateAsync();
        var sha = await repository.CommitAsync("stacks/web/compose.yaml", "services: {}\n", "Web", new CommitSigning.Ssh(key));
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl, options => options with
        {
            SubPath = "stacks",
            Signatures = new SignaturePolicy { AllowedSignersFile = keys.Combine("allowed_signers") },
        });

        var revision = await subject.Source.FetchVerifiedTreeAsync(subject.Scratch("trees"), CancellationToken.None);

        Assert.True(revision.Succeeded, revision.Error?.ToString());
        Assert.Equal(sha, revision.CommitSha);
        Assert.Equal("alice@example.com", revision.Signature?.Signer);
        Assert.True(File.Exists(Path.Combine(revision.TreeDirectory!, "web", "compose.yaml")));
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_UnsignedTip_RefusesWithoutWritingATree()
    {
        using var keys = new TempDirectory("pass");
        var key = await SshKeyPair.CreateAsync(keys.Path, "alice", "alice@example.com");
        await File.WriteAllTextAsync(keys.Combine("allowed_signers"), key.AllowedSignersLine + "\n");
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("compose.yaml", "services: {}\n", "Unsigned");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl, options => options with
        {
            Signatures = new SignaturePolicy { AllowedSignersFile = keys.Combine("allowed_signers") },
        });
        var trees = subject.Scratch("trees");

        var revision = await subject.Source.FetchVerifiedTreeAsync(trees, CancellationToken.None);

        Assert.False(revision.Succeeded);
        Assert.Equal(GitFailureReason.SignatureRefused, revision.Error?.Reason);
        Assert.Equal(SignatureStatus.Unsigned, revision.Signature?.Status);
        Assert.Empty(Directory.EnumerateFileSystemEntries(trees));
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_TipUnchanged_ReusesTheExportAndANewTipReplacesIt()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("compose.yaml", "services: {}\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        var trees = subject.Scratch("trees");

        var first = await subject.Source.FetchVerifiedTreeAsync(trees, CancellationToken.None);
        var again = await subject.Source.FetchVerifiedTreeAsync(trees, CancellationToken.None);

        Assert.True(again.Succeeded, again.Error?.ToString());
        Assert.Equal(first.TreeDirectory, again.TreeDirectory);
        Assert.True(again.TreeReused);
        Assert.Single(subject.Logger.Entries, entry => entry.Message.StartsWith("Exported commit", StringComparison.Ordinal));

        await repository.CommitAsync("compose.yaml", "services: {web: {}}\n", "Second");
        await repository.PushAsync();
        var second = await subject.Source.FetchVerifiedTreeAsync(trees, CancellationToken.None);

        Assert.False(second.TreeReused);
        Assert.NotEqual(first.TreeDirectory, second.TreeDirectory);
        Assert.Equal([second.TreeDirectory], Directory.EnumerateFileSystemEntries(trees));
    }

    [Fact]
    public async Task FetchVerifiedTreeAsync_LeftoversOfAKilledExport_AreRemovedAtTheFirstExport()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("compose.yaml", "services: {}\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        var trees = subject.Scratch("trees");
        // What a SIGKILL mid-export leaves, and an export of an earlier process; an unrelated file stays.
        Directory.CreateDirectory(Path.Combine(trees, ".0123456789ab-1234abcd.partial-0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f", "a", "b"));
        File.WriteAllText(Path.Combine(trees, ".0123456789ab-1234abcd.partial-0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f", "a", "b", "f"), "x");
        Directory.CreateDirectory(Path.Combine(trees, "0123456789ab-5678abcd"));
        File.WriteAllText(Path.Combine(trees, "notes.txt"), "mine");

        var revision = await subject.Source.FetchVerifiedTreeAsync(trees, CancellationToken.None);

        Assert.True(revision.Succeeded, revision.Error?.ToString());
        Assert.Equal(
            [Path.GetFileName(revision.TreeDirectory!), "notes.txt"],
            Directory.EnumerateFileSystemEntries(trees).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SignaturePolicy_SameKeyListsInDifferentInstances_AreEqual()
    {
        var first = new SignaturePolicy { GpgPublicKeyFiles = ["/etc/berth/a.asc", "/etc/berth/b.asc"] };
        var second = new SignaturePolicy { GpgPublicKeyFiles = new List<string> { "/etc/berth/a.asc", "/etc/berth/b.asc" } };

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }
}
