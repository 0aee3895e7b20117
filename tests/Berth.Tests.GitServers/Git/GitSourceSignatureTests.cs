using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Berth.Tests.Git;

/// <summary>
/// Signed-commit policy with real keys: SSH signatures (ssh-keygen) and GPG signatures (gpg), made by
/// the system git exactly as an operator's workstation would.
/// </summary>
public sealed class GitSourceSignatureTests : IAsyncLifetime
{
    private readonly TempDirectory keys = new("sig");
    private TestRepository repository = null!;
    private SshKeyPair trustedSshKey = null!;
    private SshKeyPair untrustedSshKey = null!;
    private GpgKey trustedGpgKey = null!;
    private GpgKey untrustedGpgKey = null!;
    private string allowedSignersFile = null!;

    public async Task InitializeAsync()
    {
        repository = await TestRepository.CreateAsync();
        trustedSshKey = await SshKeyPair.CreateAsync(keys.Path, "alice_ssh", "alice@example.com");
        untrustedSshKey = await SshKeyPair.CreateAsync(keys.Path, "mallory_ssh", "mallory@example.com");
        trustedGpgKey = await GpgKey.CreateAsync(keys.Path, "alice_gpg", "Alice Operator <alice@example.com>");
        untrustedGpgKey = await GpgKey.CreateAsync(keys.Path, "mallory_gpg", "Mallory <mallory@example.com>");
        allowedSignersFile = keys.Combine("allowed_signers");
        await File.WriteAllTextAsync(allowedSignersFile, trustedSshKey.AllowedSignersLine + "\n");
    }

    public async Task DisposeAsync()
    {
        await trustedGpgKey.DisposeAsync();
        await untrustedGpgKey.DisposeAsync();
        repository.Dispose();
        keys.Dispose();
    }

    [Fact]
    public async Task VerifySignatureAsync_SshSignedByAllowedKey_IsVerifiedWithThePrincipal()
    {
        var (subject, sha) = await FetchCommitAsync(new CommitSigning.Ssh(trustedSshKey), BothKinds);
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.Verified, check.Status);
        Assert.True(check.Accepted);
        Assert.Equal("alice@example.com", check.Signer);
        Assert.Null(check.ToError());
    }

    [Fact]
    public async Task VerifySignatureAsync_SshSignedByKeyNotInAllowedSigners_IsInvalidAndNamesTheKey()
    {
        var (subject, sha) = await FetchCommitAsync(new CommitSigning.Ssh(untrustedSshKey), BothKinds);
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.False(check.Accepted);
        Assert.Contains("not in the allowed signers file", check.Reason, StringComparison.Ordinal);
        Assert.Contains("SHA256:", check.Reason, StringComparison.Ordinal);
        Assert.Equal(GitFailureReason.SignatureRefused, check.ToError()?.Reason);
        Assert.Contains(subject.Logger.Entries, entry => entry.Level == LogLevel.Warning && entry.EventId.Id == 6011);
    }

    [Fact]
    public async Task VerifySignatureAsync_GpgSignedByConfiguredKey_IsVerified()
    {
        var (subject, sha) = await FetchCommitAsync(new CommitSigning.Gpg(trustedGpgKey), BothKinds);
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.Verified, check.Status);
        Assert.Equal("Alice Operator <alice@example.com>", check.Signer);
        Assert.Contains(trustedGpgKey.Fingerprint, check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifySignatureAsync_GpgSignedByUnknownKey_IsInvalid()
    {
        var (subject, sha) = await FetchCommitAsync(new CommitSigning.Gpg(untrustedGpgKey), BothKinds);
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.Contains("not among the configured keys", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifySignatureAsync_UnsignedCommitWithPolicy_IsUnsigned()
    {
        var (subject, sha) = await FetchCommitAsync(null, BothKinds);
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.Unsigned, check.Status);
        Assert.False(check.Accepted);
        Assert.Contains("not signed", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifySignatureAsync_SshSignedButOnlyGpgKeysConfigured_IsInvalid()
    {
        var (subject, sha) = await FetchCommitAsync(new CommitSigning.Ssh(trustedSshKey), options => options with
        {
            Signatures = new SignaturePolicy { GpgPublicKeyFiles = [trustedGpgKey.PublicKeyFile] },
        });
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.Contains("no allowedSignersFile", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifySignatureAsync_SshSignatureCopiedOntoAlteredCommit_IsInvalid()
    {
        var (subject, forged) = await FetchForgedCommitAsync(new CommitSigning.Ssh(trustedSshKey));
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(forged, CancellationToken.None);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.Contains("does not verify", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifySignatureAsync_GpgSignatureCopiedOntoAlteredCommit_IsInvalid()
    {
        var (subject, forged) = await FetchForgedCommitAsync(new CommitSigning.Gpg(trustedGpgKey));
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(forged, CancellationToken.None);

        Assert.Equal(SignatureStatus.Invalid, check.Status);
        Assert.Contains("BADSIG", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifySignatureAsync_NoPolicy_IsNotRequiredAndAccepted()
    {
        var (subject, sha) = await FetchCommitAsync(null, options => options);
        using var _ = subject;

        var check = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.NotRequired, check.Status);
        Assert.True(check.Accepted);
    }

    [Fact]
    public async Task VerifySignatureAsync_GpgKeyFileReplaced_RebuildsTheKeyring()
    {
        var gpgKeyFile = keys.Combine("configured.asc");
        File.Copy(untrustedGpgKey.PublicKeyFile, gpgKeyFile);
        var (subject, sha) = await FetchCommitAsync(new CommitSigning.Gpg(trustedGpgKey), options => options with
        {
            Signatures = new SignaturePolicy { GpgPublicKeyFiles = [gpgKeyFile] },
        });
        using var _ = subject;
        var before = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        File.Copy(trustedGpgKey.PublicKeyFile, gpgKeyFile, overwrite: true);
        var after = await subject.Source.VerifySignatureAsync(sha, CancellationToken.None);

        Assert.Equal(SignatureStatus.Invalid, before.Status);
        Assert.Equal(SignatureStatus.Verified, after.Status);
    }

    [Fact]
    public async Task VerifySignatureAsync_CommitNotFetched_ThrowsCommitNotFound()
    {
        var (subject, _) = await FetchCommitAsync(null, BothKinds);
        using var __ = subject;

        var exception = await Assert.ThrowsAsync<GitSourceException>(() => subject.Source.VerifySignatureAsync(new string('a', 40), CancellationToken.None));

        Assert.Equal(GitFailureReason.CommitNotFound, exception.Error.Reason);
    }

    private async Task<(SourceUnderTest Subject, string Sha)> FetchForgedCommitAsync(CommitSigning signing)
    {
        await repository.CommitAsync("stack.yaml", "image: nginx:1.27\n", "Bump nginx", signing);
        var forged = await repository.ForgeTipMessageKeepingSignatureAsync("Bump nginx (and something else)");
        await repository.PushAsync(force: true);
        var subject = new SourceUnderTest(repository.FileUrl, BothKinds);
        var fetch = await subject.Source.FetchAsync(CancellationToken.None);
        Assert.True(fetch.Succeeded, fetch.Error?.ToString());
        Assert.Equal(forged, fetch.Tip);
        return (subject, forged);
    }

    private GitSourceOptions BothKinds(GitSourceOptions options) => options with
    {
        Signatures = new SignaturePolicy { AllowedSignersFile = allowedSignersFile, GpgPublicKeyFiles = [trustedGpgKey.PublicKeyFile] },
    };

    private async Task<(SourceUnderTest Subject, string Sha)> FetchCommitAsync(CommitSigning? signing, Func<GitSourceOptions, GitSourceOptions> configure)
    {
        var sha = await repository.CommitAsync("stack.yaml", $"signed: {signing?.GetType().Name ?? "no"}\n", "A commit", signing);
        await repository.PushAsync();
        var subject = new SourceUnderTest(repository.FileUrl, configure);
        var fetch = await subject.Source.FetchAsync(CancellationToken.None);
        Assert.True(fetch.Succeeded, fetch.Error?.ToString());
        Assert.Equal(sha, fetch.Tip);
        return (subject, sha);
    }
}
