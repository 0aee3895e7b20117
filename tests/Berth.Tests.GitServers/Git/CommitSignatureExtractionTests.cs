using Berth.Reconciler.Git;
using Berth.Reconciler.Processes;
using Berth.Tests.Infrastructure;
using LibGit2Sharp;

namespace Berth.Tests.Git;

/// <summary>
/// berth reads a commit's signature with `git cat-file commit` (LibGit2Sharp's ExtractSignature returned empty
/// buffers in the Native AOT binary, so signed commits read as unsigned). Against real signed commits, both
/// must give the same signature and signed data: here LibGit2Sharp runs under the JIT, where it works.
/// </summary>
public sealed class CommitSignatureExtractionTests
{
    public static TheoryData<string> Formats() => ["ssh", "gpg"];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ExtractAsync_SignedCommit_ReadsWhatLibGit2Reads(string format)
    {
        using var keys = new TempDirectory("extract");
        using var repository = await TestRepository.CreateAsync();
        await using var gpg = format == "gpg" ? await GpgKey.CreateAsync(keys.Path, "signer", "Signer <signer@berth.invalid>") : null;
        CommitSigning signing = format == "gpg"
            ? new CommitSigning.Gpg(gpg!)
            : new CommitSigning.Ssh(await SshKeyPair.CreateAsync(keys.Path, "signer", "signer@berth.invalid"));
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        var signed = await repository.CommitAsync("a.yaml", "a: 2\n", "Second, signed\n\nwith a body", signing);

        var extracted = await CommitSignatureVerifier.ExtractAsync(new BoundedProcess(TimeProvider.System), Path.Combine(repository.WorkPath, ".git"), signed, TimeSpan.FromSeconds(30), CancellationToken.None);

        using var libgit2 = new Repository(repository.WorkPath);
        var expected = Commit.ExtractSignature(libgit2, new ObjectId(signed));
        Assert.NotNull(extracted);
        Assert.Equal(expected.SignedData, extracted.Value.SignedData);
        Assert.Equal(expected.Signature.TrimEnd('\n'), extracted.Value.Signature.TrimEnd('\n'));
    }

    [Fact]
    public async Task ExtractAsync_UnsignedCommit_IsNull()
    {
        using var repository = await TestRepository.CreateAsync();
        var unsigned = await repository.CommitAsync("a.yaml", "a: 1\n", "First");

        var extracted = await CommitSignatureVerifier.ExtractAsync(new BoundedProcess(TimeProvider.System), Path.Combine(repository.WorkPath, ".git"), unsigned, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Null(extracted);
    }
}
