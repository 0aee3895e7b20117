using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Git;

public sealed class GitSourceOptionsTests
{
    [Fact]
    public void Validate_ManyProblems_ReportsEveryErrorAtOnce()
    {
        var options = new GitSourceOptions
        {
            Url = "https://deploy:hunter2@example.com/state.git",
            Branch = "bad..branch",
            SubPath = "../escape",
            PollInterval = TimeSpan.Zero,
            PollJitter = 2,
            FetchTimeout = TimeSpan.Zero,
            CacheDirectory = "relative/cache",
        };

        var errors = options.Validate();

        Assert.Equal(7, errors.Count);
        Assert.All(errors, error => Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ext::sh -c touch% /tmp/pwned")]
    [InlineData("-uhack")]
    [InlineData("fd::17")]
    public void Validate_DangerousUrl_IsRejected(string url)
    {
        var options = new GitSourceOptions { Url = url, CacheDirectory = "/var/lib/berth/git" };

        Assert.NotEmpty(options.Validate());
    }

    [Theory]
    [InlineData("https://ghp_TOKEN@github.com/org/repo.git")]
    [InlineData("http://deploy:ghp_TOKEN@example.com/state.git")]
    public void Validate_AnyUserInfoInHttpUrl_IsRefusedWithoutEchoingIt(string url)
    {
        var options = new GitSourceOptions { Url = url, CacheDirectory = "/var/lib/berth/git" };

        var error = Assert.Single(options.ValidateFields());
        Assert.Equal("git.url", error.Field);
        Assert.Contains("credentials.tokenFile", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_TOKEN", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://git.example.com/ops/state.git", "token")]
    [InlineData("HTTP://git.example.com/ops/state.git", "token")]
    [InlineData("http://git.example.com/ops/state.git", "password")]
    // No loopback exemption: any local user who binds the port first (the server restarting, or not up
    // yet) is sent the token, and a loopback port may be a tunnel that forwards in clear.
    [InlineData("http://127.0.0.1:3000/ops/state.git", "token")]
    [InlineData("http://localhost/ops/state.git", "token")]
    public void Validate_PlainHttpWithCredentials_IsRefusedUnlessExplicitlyAllowed(string url, string credential)
    {
        using var secrets = new TempDirectory("secret");
        File.WriteAllText(secrets.Combine("secret"), "x");
        var credentials = credential == "token"
            ? new GitCredentials { TokenFile = secrets.Combine("secret") }
            : new GitCredentials { UsernameFile = secrets.Combine("secret"), PasswordFile = secrets.Combine("secret") };
        var options = new GitSourceOptions { Url = url, CacheDirectory = "/var/lib/berth/git", Credentials = credentials };

        var error = Assert.Single(options.ValidateFields());
        var allowed = (options with { AllowInsecureHttp = true }).ValidateFields();

        Assert.Equal("git.url", error.Field);
        Assert.Contains("in clear text", error.Message, StringComparison.Ordinal);
        Assert.Contains("git.allowInsecureHttp", error.Message, StringComparison.Ordinal);
        Assert.Empty(allowed);
    }

    [Fact]
    public void Validate_PlainHttpWithoutCredentials_IsAccepted()
    {
        var options = new GitSourceOptions { Url = "http://git.example.com/ops/state.git", CacheDirectory = "/var/lib/berth/git" };

        Assert.Empty(options.ValidateFields());
    }

    [Theory]
    [InlineData("git@example.com:ops/state.git")]
    [InlineData("ssh://git@example.com/ops/state.git")]
    public void Validate_SshUrlWithUserName_IsNotACredentialInTheUrl(string url)
    {
        var options = new GitSourceOptions { Url = url, CacheDirectory = "/var/lib/berth/git" };

        Assert.DoesNotContain(options.ValidateFields(), error => error.Field == "git.url");
    }

    [Fact]
    public void Validate_SshUrlWithoutKeyOrKnownHosts_AsksForBoth()
    {
        var options = new GitSourceOptions { Url = "git@example.com:ops/state.git", CacheDirectory = "/var/lib/berth/git" };

        var errors = options.Validate();

        Assert.Contains(errors, error => error.Contains("sshKeyFile", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.Contains("knownHostsFile", StringComparison.Ordinal));
        Assert.Equal(["credentials.sshKeyFile", "credentials.knownHostsFile"], options.ValidateFields().Select(error => error.Field));
    }

    [Fact]
    public void Validate_Defaults_AreValidForALocalPath()
    {
        var options = new GitSourceOptions { Url = "/srv/git/state.git", CacheDirectory = "/var/lib/berth/git" };

        Assert.Empty(options.Validate());
        Assert.Equal("main", options.Branch);
        Assert.Equal(TimeSpan.FromSeconds(60), options.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(60), options.FetchTimeout);
    }

    [Theory]
    [InlineData(0.0, 54)]
    [InlineData(0.5, 60)]
    [InlineData(0.9999999, 66)]
    public void NextPollDelay_Jitter_SpreadsAroundTheInterval(double randomUnit, int expectedSeconds)
    {
        var options = new GitSourceOptions { Url = "/srv/git/state.git", CacheDirectory = "/var/lib/berth/git" };

        Assert.Equal(expectedSeconds, Math.Round(options.NextPollDelay(randomUnit).TotalSeconds));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsWithEveryError()
    {
        var options = new GitSourceOptions { Url = "", CacheDirectory = "" };

        var exception = Assert.Throws<ArgumentException>(() => new GitSource(options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<GitSource>.Instance));

        Assert.Contains("git.url is required", exception.Message, StringComparison.Ordinal);
        Assert.Contains("git.cacheDirectory is required", exception.Message, StringComparison.Ordinal);
    }
}
