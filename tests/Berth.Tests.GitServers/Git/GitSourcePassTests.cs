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
    public void SignaturePolicy_SameKeyListsInDifferentInstances_AreEqual()
    {
        var first = new SignaturePolicy { GpgPublicKeyFiles = ["/etc/berth/a.asc", "/etc/berth/b.asc"] };
        var second = new SignaturePolicy { GpgPublicKeyFiles = new List<string> { "/etc/berth/a.asc", "/etc/berth/b.asc" } };

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }
}
