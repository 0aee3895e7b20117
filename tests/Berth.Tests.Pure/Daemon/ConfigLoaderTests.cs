using System.Net;
using Berth.Daemon.Configuration;
using Berth.Daemon.Loop;
using Microsoft.Extensions.Logging;

namespace Berth.Tests.Daemon;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-config-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string ConfigFile => Path.Combine(directory, "berth.yaml");

    private ConfigLoadResult Load(string yaml) => ConfigLoader.Load(ConfigFile, yaml, "machine-name");

    private const string MinimalSource = "source:\n  url: https://git.example.com/ops/hosts.git\n";

    [Fact]
    public void Load_MinimalConfig_FillsEveryDefault()
    {
        var result = Load(MinimalSource);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var config = result.Config!;
        Assert.Equal("machine-name", config.Host);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9750), config.Listen);
        Assert.Equal("/var/lib/berth", config.StateDir);
        Assert.Null(config.DockerHost);
        Assert.Equal(LogLevel.Information, config.LogLevel);
        Assert.Equal(new ReconcileLoopOptions(), config.Reconcile);
        Assert.Equal("main", config.Source.Branch);
        Assert.Equal("", config.Source.Path);
        Assert.Equal(SignaturePolicy.None, config.Source.Signatures.Policy);
        Assert.Null(config.Webhooks.GitHub);
    }

    [Fact]
    public void Load_FullConfig_ReadsEveryField()
    {
        File.WriteAllText(Path.Combine(directory, "github.secret"), "s3cret\n");
        File.WriteAllText(Path.Combine(directory, "token"), "t");
        File.WriteAllText(Path.Combine(directory, "allowed_signers"), "k");

        var result = Load("""
            host: web-01
            listen: "[::1]:9999"
            stateDir: /srv/berth
            dockerHost: unix:///run/docker.sock
            logLevel: debug
            reconcile:
              interval: 2m
              jitter: 15s
              retryInitialDelay: 1s
              retryMaxDelay: 10m
              stuckPassAfter: 1h
              shutdownTimeout: 45s
            source:
              url: git@git.example.com:ops/hosts.git
              branch: production
              path: /hosts/web/
              credentials:
                passwordFile: token
              signatures:
                policy: required
                trustedKeysFile: allowed_signers
            webhooks:
              github:
                secretFile: github.secret
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var config = result.Config!;
        Assert.Equal("web-01", config.Host);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9999), config.Listen);
        Assert.Equal(LogLevel.Debug, config.LogLevel);
        Assert.Equal(TimeSpan.FromMinutes(2), config.Reconcile.Interval);
        Assert.Equal(TimeSpan.FromSeconds(15), config.Reconcile.Jitter);
        Assert.Equal(TimeSpan.FromHours(1), config.Reconcile.StuckPassAfter);
        Assert.Equal(TimeSpan.FromSeconds(45), config.Reconcile.ShutdownTimeout);
        Assert.Equal("production", config.Source.Branch);
        Assert.Equal("hosts/web", config.Source.Path);
        Assert.Equal(Path.Combine(directory, "token"), config.Source.Credentials.PasswordFile);
        Assert.Equal(SignaturePolicy.Required, config.Source.Signatures.Policy);
        Assert.Equal("s3cret"u8.ToArray(), config.Webhooks.GitHub!.Bytes.ToArray());
    }

    [Fact]
    public void Load_SeveralMistakes_ReportsEveryErrorWithLineAndColumn()
    {
        var result = Load("""
            host: "web 01"
            listen: localhost:80
            reconcile:
              interval: 5 minutes
              intervall: 5m
            source:
              url: https://git.example.com/ops.git
              branch: "bad..branch"
            webhooks:
              gitlab:
                secretFile: /nonexistent/secret
            """);

        Assert.False(result.Succeeded);
        var file = ConfigFile;
        Assert.Equal(
            [
                $"{file}:1:7: host: 'web 01' is not a host name (letters, digits, '.', '-', '_'; at most 253)",
                $"{file}:2:9: listen: 'localhost:80' is not ADDRESS:PORT with an IP address and a port 1-65535 (e.g. 127.0.0.1:9750, [::1]:9750)",
                $"{file}:5:3: unknown key 'reconcile.intervall' (known here: interval, jitter, retryInitialDelay, retryMaxDelay, stuckPassAfter, shutdownTimeout)",
                $"{file}:4:13: reconcile.interval: '5 minutes' is not a duration (e.g. 500ms, 30s, 5m, 1h30m)",
                $"{file}:8:11: source.branch: 'bad..branch' is not a branch name (e.g. main; no spaces, '..', '~', '^', ':', '?', '*', '[', '\\')",
                $"{file}:11:17: webhooks.gitlab.secretFile: '/nonexistent/secret' does not exist",
            ],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Load_NoSource_IsAnError()
    {
        var result = Load("host: web-01\n");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("source: required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InvalidYaml_ReportsWhereTheParserStopped()
    {
        var result = Load("source:\n  url: [unclosed\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Line);
        Assert.StartsWith("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateKey_IsAnErrorNotLastWins()
    {
        var result = Load(MinimalSource + "host: a\nhost: b\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(4, error.Line);
        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TokenInSourceUrl_IsRefusedWithoutEchoingIt()
    {
        var result = Load("source:\n  url: https://user:ghp_SECRET@git.example.com/ops.git\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((2, 8), (error.Line, error.Column));
        Assert.DoesNotContain("ghp_SECRET", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_JitterLongerThanInterval_IsAnError()
    {
        var result = Load(MinimalSource + "reconcile:\n  interval: 10s\n  jitter: 1m\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((5, 3), (error.Line, error.Column));
    }

    [Fact]
    public void Load_RequiredSignaturesWithoutKeys_IsAnError()
    {
        var result = Load(MinimalSource + "  signatures:\n    policy: required\n");

        var error = Assert.Single(result.Errors);
        Assert.Contains("trustedKeysFile: required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptySecretFile_IsAnErrorAndTheSecretNeverPrints()
    {
        File.WriteAllText(Path.Combine(directory, "empty.secret"), "\n");

        var result = Load(MinimalSource + "webhooks:\n  gitea:\n    secretFile: empty.secret\n");

        var error = Assert.Single(result.Errors);
        Assert.Contains("is empty", error.Message, StringComparison.Ordinal);
        Assert.Equal("***", new WebhookSecret("hunter2", "f").ToString());
    }

    [Fact]
    public void LoadFile_MissingFile_IsAnErrorForTheFile()
    {
        var result = ConfigLoader.LoadFile(Path.Combine(directory, "nope.yaml"), "machine");

        var error = Assert.Single(result.Errors);
        Assert.Equal(0, error.Line);
        Assert.Contains("cannot read the config file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ShippedExampleConfig_OnlyLacksTheSourceUrl()
    {
        var example = Path.Combine(RepositoryRoot(), "packaging", "berth.yaml");
        var text = File.ReadAllText(example);

        var asShipped = ConfigLoader.Load(example, text, "machine");
        var withUrl = ConfigLoader.Load(example, text.Replace("  #url: ", "  url: ", StringComparison.Ordinal), "machine");

        Assert.StartsWith("source: required", Assert.Single(asShipped.Errors).Message, StringComparison.Ordinal);
        Assert.True(withUrl.Succeeded, string.Join("\n", withUrl.Errors));
        Assert.Equal(new ReconcileLoopOptions(), withUrl.Config!.Reconcile);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
