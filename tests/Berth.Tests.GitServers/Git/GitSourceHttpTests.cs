using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;
using Berth.Tests.Servers;
using Xunit.Abstractions;

namespace Berth.Tests.Git;

/// <summary>Smart HTTP against the real `git http-backend` behind a server that requires authentication.</summary>
public sealed class GitSourceHttpTests(ITestOutputHelper output)
{
    private const string Token = "tok-4f1b9c2e7d-SECRET";
    private const string Password = "pw-93ad71-SECRET";

    [Fact]
    public async Task FetchAsync_HttpWithTokenFile_ClonesAndNeverLogsTheToken()
    {
        using var repository = await TestRepository.CreateAsync();
        var tip = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var server = GitHttpServer.Start(repository.ServeRoot, new HttpAuthentication.Bearer(Token));
        using var subject = new SourceUnderTest(server.UrlFor(repository.BareName), options => options with
        {
            AllowInsecureHttp = true, // the test server is plain HTTP on loopback
            Credentials = new GitCredentials { TokenFile = WriteSecret(options, "token", Token + "\n") },
        });

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString() + Environment.NewLine + string.Join(Environment.NewLine, server.Requests));
        Assert.Equal(tip, result.Tip);
        Assert.DoesNotContain("401", string.Join(" ", server.Requests), StringComparison.Ordinal); // sent up front
        Assert.DoesNotContain(Token, subject.Logger.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, File.ReadAllText(Path.Combine(subject.MirrorPath, "config")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_HttpWithUsernameAndPasswordFiles_Clones()
    {
        using var repository = await TestRepository.CreateAsync();
        var tip = await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var server = GitHttpServer.Start(repository.ServeRoot, new HttpAuthentication.Basic("deploy", Password));
        using var subject = new SourceUnderTest(server.UrlFor(repository.BareName), options => options with
        {
            AllowInsecureHttp = true, // the test server is plain HTTP on loopback
            Credentials = new GitCredentials
            {
                UsernameFile = WriteSecret(options, "username", "deploy"),
                PasswordFile = WriteSecret(options, "password", Password),
            },
        });

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(tip, result.Tip);
        Assert.DoesNotContain(Password, subject.Logger.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckRemoteAsync_IdlePollOverHttp_AsksForNoObjects()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var server = GitHttpServer.Start(repository.ServeRoot, new HttpAuthentication.Bearer(Token));
        using var subject = new SourceUnderTest(server.UrlFor(repository.BareName), options => options with
        {
            AllowInsecureHttp = true, // the test server is plain HTTP on loopback
            Credentials = new GitCredentials { TokenFile = WriteSecret(options, "token", Token) },
        });
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        var requestsBefore = server.Requests.Count;

        var check = await subject.Source.CheckRemoteAsync(CancellationToken.None);
        var poll = await subject.Source.FetchAsync(CancellationToken.None);

        var pollRequests = server.Requests.Skip(requestsBefore).ToList();
        output.WriteLine($"idle remote check over HTTP: {check.Duration.TotalMilliseconds:0} ms; idle fetch poll: {poll.Duration.TotalMilliseconds:0} ms");
        output.WriteLine(string.Join(Environment.NewLine, pollRequests));
        Assert.False(check.HasChanged);
        Assert.False(poll.Fetched);
        Assert.NotEmpty(pollRequests);
        Assert.DoesNotContain(pollRequests, request => request.EndsWith(" fetch", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("token")]
    [InlineData("password")]
    public async Task FetchAsync_HttpWrongCredentials_ReturnsAuthenticationFailedWithoutTheSecret(string kind)
    {
        const string wrongSecret = "wrong-7c1e55-SECRET";
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var server = GitHttpServer.Start(repository.ServeRoot, new HttpAuthentication.Bearer(Token));
        using var subject = new SourceUnderTest(server.UrlFor(repository.BareName), options => options with
        {
            AllowInsecureHttp = true, // the test server is plain HTTP on loopback
            Credentials = kind == "token"
                ? new GitCredentials { TokenFile = WriteSecret(options, "token", wrongSecret) }
                : new GitCredentials { UsernameFile = WriteSecret(options, "username", "deploy"), PasswordFile = WriteSecret(options, "password", wrongSecret) },
        });

        var result = await subject.Source.FetchAsync(CancellationToken.None);
        var check = await subject.Source.CheckRemoteAsync(CancellationToken.None);

        output.WriteLine(result.Error?.Message);
        Assert.Equal(GitFailureReason.AuthenticationFailed, result.Error?.Reason);
        Assert.False(result.Error!.IsTransient);
        Assert.Contains("credentials", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(GitFailureReason.AuthenticationFailed, check.Error?.Reason);
        Assert.DoesNotContain(wrongSecret, result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongSecret, subject.Logger.AllText, StringComparison.Ordinal);
        Assert.Null(result.Tip);
    }

    [Fact]
    public async Task FetchAsync_TokenFileMissingAfterStart_ReturnsCredentialsUnreadable()
    {
        using var repository = await TestRepository.CreateAsync();
        await using var server = GitHttpServer.Start(repository.ServeRoot, new HttpAuthentication.Bearer(Token));
        string? tokenFile = null;
        using var subject = new SourceUnderTest(server.UrlFor(repository.BareName), options => options with
        {
            AllowInsecureHttp = true, // the test server is plain HTTP on loopback
            Credentials = new GitCredentials { TokenFile = tokenFile = WriteSecret(options, "token", Token) },
        });
        File.Delete(tokenFile!);

        var result = await subject.Source.FetchAsync(CancellationToken.None);

        Assert.Equal(GitFailureReason.CredentialsUnreadable, result.Error?.Reason);
        Assert.Contains(tokenFile!, result.Error!.Message, StringComparison.Ordinal);
    }

    private static string WriteSecret(GitSourceOptions options, string name, string content)
    {
        var directory = Path.Combine(Path.GetDirectoryName(options.CacheDirectory)!, "secrets");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
