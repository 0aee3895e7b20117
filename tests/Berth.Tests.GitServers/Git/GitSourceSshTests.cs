using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;
using Berth.Tests.Servers;
using Xunit.Abstractions;

namespace Berth.Tests.Git;

/// <summary>SSH against a private `sshd` with a deploy key and strict host-key checking.</summary>
public sealed class GitSourceSshTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FetchAsync_SshWithDeployKey_ClonesThenFetchesIncrementally()
    {
        using var keys = new TempDirectory("keys");
        var deployKey = await SshKeyPair.CreateAsync(keys.Path, "deploy", "deploy@berth");
        using var repository = await TestRepository.CreateAsync();
        var first = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var sshd = await SshServer.StartAsync(deployKey);
        var knownHosts = Path.Combine(keys.Path, "known_hosts");
        await File.WriteAllTextAsync(knownHosts, sshd.KnownHostsLine + "\n");
        using var subject = new SourceUnderTest(sshd.UrlFor(repository.BarePath), options => options with
        {
            Credentials = new GitCredentials { SshKeyFile = deployKey.PrivateKeyPath, KnownHostsFile = knownHosts },
        });

        var firstResult = await subject.Source.FetchAsync(CancellationToken.None);
        var second = await repository.CommitAsync("a.yaml", "a: 2\n", "Second");
        await repository.PushAsync();
        var secondResult = await subject.Source.FetchAsync(CancellationToken.None);
        var idle = await subject.Source.CheckRemoteAsync(CancellationToken.None);

        Assert.True(firstResult.Succeeded, firstResult.Error + Environment.NewLine + sshd.Output);
        Assert.Equal(first, firstResult.Tip);
        Assert.True(secondResult.Succeeded, secondResult.Error?.ToString());
        Assert.Equal(second, secondResult.Tip);
        Assert.Equal(first, secondResult.PreviousTip);
        Assert.False(idle.HasChanged);
        output.WriteLine($"idle remote check over SSH: {idle.Duration.TotalMilliseconds:0} ms");
    }

    [Theory]
    [InlineData("other host key")]
    [InlineData("empty known_hosts")]
    public async Task FetchAsync_SshUnknownHostKey_IsRefused(string knownHostsContent)
    {
        using var keys = new TempDirectory("keys");
        var deployKey = await SshKeyPair.CreateAsync(keys.Path, "deploy", "deploy@berth");
        var impostorKey = await SshKeyPair.CreateAsync(keys.Path, "impostor", "impostor");
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var sshd = await SshServer.StartAsync(deployKey);
        var knownHosts = Path.Combine(keys.Path, "known_hosts");
        await File.WriteAllTextAsync(knownHosts, knownHostsContent == "other host key" ? $"[127.0.0.1]:{sshd.Port} {impostorKey.PublicKey}\n" : "");
        using var subject = new SourceUnderTest(sshd.UrlFor(repository.BarePath), options => options with
        {
            Credentials = new GitCredentials { SshKeyFile = deployKey.PrivateKeyPath, KnownHostsFile = knownHosts },
        });

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        output.WriteLine(result.Error?.Message);
        Assert.Equal(GitFailureReason.HostKeyRejected, result.Error?.Reason);
        Assert.False(result.Error!.IsTransient);
        Assert.Contains("knownHostsFile", result.Error.Message, StringComparison.Ordinal);
        // Strict: the unknown key was not silently added.
        Assert.Equal(knownHostsContent == "other host key" ? 1 : 0, File.ReadAllLines(knownHosts).Length);
    }

    [Fact]
    public async Task FetchAsync_SshKeyNotAuthorized_ReturnsAuthenticationFailed()
    {
        using var keys = new TempDirectory("keys");
        var deployKey = await SshKeyPair.CreateAsync(keys.Path, "deploy", "deploy@berth");
        var strangerKey = await SshKeyPair.CreateAsync(keys.Path, "stranger", "stranger");
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var sshd = await SshServer.StartAsync(deployKey);
        var knownHosts = Path.Combine(keys.Path, "known_hosts");
        await File.WriteAllTextAsync(knownHosts, sshd.KnownHostsLine + "\n");
        using var subject = new SourceUnderTest(sshd.UrlFor(repository.BarePath), options => options with
        {
            Credentials = new GitCredentials { SshKeyFile = strangerKey.PrivateKeyPath, KnownHostsFile = knownHosts },
        });

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        output.WriteLine(result.Error?.Message);
        Assert.Equal(GitFailureReason.AuthenticationFailed, result.Error?.Reason);
        Assert.False(result.Error!.IsTransient);
    }
}
