using System.Net;
using Berth.Daemon.Configuration;
using Berth.Daemon.Loop;
using Microsoft.Extensions.Logging;

namespace Berth.Tests.Daemon;

// File modes: berth runs on Linux, and the token file's mode is part of what is checked.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
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
        Assert.Equal(TimeSpan.FromSeconds(60), config.Source.FetchTimeout);
        Assert.Empty(config.Spec.HostEnvFiles);
        Assert.Null(config.Webhooks.GitHub);
    }

    [Fact]
    public void Load_FullConfig_ReadsEveryField()
    {
        File.WriteAllText(Path.Combine(directory, "github.secret"), "s3cret\n");
        File.WriteAllText(Path.Combine(directory, "user"), "u");
        File.WriteAllText(Path.Combine(directory, "token"), "t");
        File.WriteAllText(Path.Combine(directory, "allowed_signers"), "k");
        File.WriteAllText(Path.Combine(directory, "secrets.env"), "DB_PASSWORD=x\n");

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
              maxConcurrentStarts: 3
              maxConcurrentPulls: 5
              resyncInterval: 30m
            source:
              url: https://git.example.com/ops/hosts.git
              branch: production
              path: /hosts/web/
              fetchTimeout: 2m
              credentials:
                usernameFile: user
                passwordFile: token
              signatures:
                policy: required
                allowedSignersFile: allowed_signers
            webhooks:
              github:
                secretFile: github.secret
            spec:
              hostEnvFiles: [secrets.env, /dev/null]
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
        Assert.Equal(3, config.Reconcile.MaxConcurrentStarts);
        Assert.Equal(5, config.Reconcile.MaxConcurrentPulls);
        Assert.Equal(TimeSpan.FromMinutes(30), config.Reconcile.ResyncInterval);
        Assert.Equal("production", config.Source.Branch);
        Assert.Equal("hosts/web", config.Source.Path);
        Assert.Equal(TimeSpan.FromMinutes(2), config.Source.FetchTimeout);
        Assert.Equal(Path.Combine(directory, "token"), config.Source.Credentials.PasswordFile);
        Assert.Equal([Path.Combine(directory, "secrets.env"), "/dev/null"], config.Spec.HostEnvFiles);
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
                $"{file}:4:13: reconcile.interval: invalid duration '5 minutes': unknown unit ' minutes' (units: ns, us, ms, s, m, h); write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m",
                $"{file}:5:3: unknown key 'reconcile.intervall' (known here: interval, jitter, retryInitialDelay, retryMaxDelay, stuckPassAfter, shutdownTimeout, maxConcurrentStarts, maxConcurrentPulls, resyncInterval)",
                $"{file}:8:11: source.branch: 'bad..branch' is not a branch name (e.g. main; no spaces, '..', '~', '^', ':', '?', '*', '[', '\\')",
                $"{file}:11:17: webhooks.gitlab.secretFile: '/nonexistent/secret' does not exist",
            ],
            result.Errors.Select(error => error.ToString()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("two")]
    [InlineData("1.5")]
    public void Load_MaxConcurrentStartsNotAPositiveWholeNumber_IsAnErrorAtTheValue(string value)
    {
        var result = Load(MinimalSource + $"reconcile:\n  maxConcurrentStarts: {value}\n");

        Assert.Equal([$"{ConfigFile}:4:24: reconcile.maxConcurrentStarts: '{value}' is not a whole number of at least 1"], result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Load_NoResyncInterval_DefaultsToTenMinutesAndZeroIsAllowed()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), Load(MinimalSource).Config!.Reconcile.ResyncInterval);
        Assert.Equal(TimeSpan.Zero, Load(MinimalSource + "reconcile:\n  resyncInterval: 0\n").Config!.Reconcile.ResyncInterval);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("three")]
    public void Load_MaxConcurrentPullsNotAPositiveWholeNumber_IsAnErrorAtTheValue(string value)
    {
        var result = Load(MinimalSource + $"reconcile:\n  maxConcurrentPulls: {value}\n");

        Assert.Equal([$"{ConfigFile}:4:23: reconcile.maxConcurrentPulls: '{value}' is not a whole number of at least 1"], result.Errors.Select(error => error.ToString()));
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
        Assert.StartsWith("YAML syntax:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateKey_IsAnErrorNotLastWins()
    {
        var result = Load(MinimalSource + "host: a\nhost: b\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(4, error.Line);
        Assert.StartsWith("duplicate key 'host' (first defined at line 3, column 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TokenInSourceUrl_IsRefusedWithoutEchoingIt()
    {
        var result = Load("source:\n  url: https://user:ghp_SECRET@git.example.com/ops.git\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((2, 8), (error.Line, error.Column));
        Assert.DoesNotContain("ghp_SECRET", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://ghp_SECRET@github.com/org/repo.git")]
    [InlineData("http://ghp_SECRET@git.example.com/ops.git")]
    [InlineData("https://x-access-token:ghp_SECRET@github.com/org/repo.git")]
    [InlineData("https://ghp_SECRET:@github.com/org/repo.git")]
    public void Load_AnyUserInfoInHttpUrl_IsRefusedAtTheUrlWithoutEchoingIt(string url)
    {
        var result = Load($"source:\n  url: {url}\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((2, 8), (error.Line, error.Column));
        Assert.DoesNotContain("ghp_SECRET", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("source.credentials.tokenFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("usernameFile and passwordFile", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://git.example.com/ops.git", "    tokenFile: token\n")]
    [InlineData("http://127.0.0.1:3000/ops.git", "    usernameFile: token\n    passwordFile: token\n")]
    public void Load_PlainHttpUrlWithCredentials_IsRefusedAtTheUrl(string url, string credentials)
    {
        File.WriteAllText(Path.Combine(directory, "token"), "t");

        var result = Load($"source:\n  url: {url}\n  credentials:\n{credentials}");

        var error = Assert.Single(result.Errors);
        Assert.Equal((2, 8), (error.Line, error.Column));
        Assert.Equal(
            $"source.url '{url}' is plain HTTP: the token or password in source.credentials would cross the network in clear text, "
            + "readable and replayable by anyone on the way, and go to whoever answers on that address (on a loopback address too: "
            + "any local user who binds the port first); use https://, or set source.allowInsecureHttp: true to accept that",
            error.Message);
    }

    [Fact]
    public void Load_PlainHttpUrlWithCredentialsExplicitlyAllowed_IsAccepted()
    {
        File.WriteAllText(Path.Combine(directory, "token"), "t");

        var result = Load("source:\n  url: http://git.internal/ops.git\n  allowInsecureHttp: true\n  credentials:\n    tokenFile: token\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.True(result.Config!.Source.AllowInsecureHttp);
        Assert.True(ConfigLoader.GitSourceOptionsFrom(result.Config).AllowInsecureHttp);
    }

    [Theory]
    [InlineData("https://git.example.com/ops.git", "true", "source.allowInsecureHttp: applies to http:// URLs only; remove it")]
    [InlineData("http://git.example.com/ops.git", "yes", "source.allowInsecureHttp: 'yes' is not true or false")]
    public void Load_AllowInsecureHttpMisused_IsAnErrorAtTheKey(string url, string value, string expected)
    {
        var result = Load($"source:\n  url: {url}\n  allowInsecureHttp: {value}\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((3, 22), (error.Line, error.Column));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Load_MissingCredentialFiles_AreErrorsAtTheirKeys()
    {
        var result = Load("source:\n  url: git@github.com:org/repo.git\n  credentials:\n    sshKeyFile: /root/.ssh/berth-missing-key\n    knownHostsFile: /etc/berth-missing/known_hosts\n");

        Assert.Equal(
            [
                $"{ConfigFile}:4:17: source.credentials.sshKeyFile: '/root/.ssh/berth-missing-key' does not exist",
                $"{ConfigFile}:5:21: source.credentials.knownHostsFile: '/etc/berth-missing/known_hosts' does not exist",
            ],
            result.Errors.Select(error => error.ToString()));
    }

    [Theory]
    [InlineData("git@github.com:org/repo.git")]
    [InlineData("ssh://git@github.com/org/repo.git")]
    [InlineData("ssh://git@github.com:2222/org/repo.git")]
    public void Load_SshUrlWithUserName_IsAccepted(string url)
    {
        File.WriteAllText(Path.Combine(directory, "id_ed25519"), "k");
        File.WriteAllText(Path.Combine(directory, "known_hosts"), "h");

        var result = Load($"source:\n  url: {url}\n  credentials:\n    sshKeyFile: id_ed25519\n    knownHostsFile: known_hosts\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Load_SshUrlWithoutKeyFiles_IsAConfigErrorAtTheUrlNotACrashAtStart()
    {
        var result = Load("source:\n  url: git@github.com:org/repo.git\n");

        Assert.Equal(
            [
                $"{ConfigFile}:2:8: source.credentials.knownHostsFile is required for ssh URLs: host keys are checked strictly",
                $"{ConfigFile}:2:8: source.credentials.sshKeyFile (a deploy key) is required for ssh URLs",
            ],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Load_TokenFileAndUsernamePassword_IsAConfigErrorAtCredentials()
    {
        foreach (var name in new[] { "token", "user", "password" })
        {
            File.WriteAllText(Path.Combine(directory, name), "x");
        }

        var result = Load(MinimalSource + "  credentials:\n    tokenFile: token\n    usernameFile: user\n    passwordFile: password\n");

        Assert.Equal(
            [$"{ConfigFile}:3:3: source.credentials: set either tokenFile, or usernameFile and passwordFile, not both"],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Load_CredentialsOnAFileUrl_IsAConfigError()
    {
        File.WriteAllText(Path.Combine(directory, "token"), "x");

        var result = Load("source:\n  url: file:///srv/git/hosts.git\n  credentials:\n    tokenFile: token\n");

        Assert.Equal(
            [$"{ConfigFile}:3:3: source.credentials are not used by Local URLs; remove them"],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Load_SshKeyOnAnHttpsUrl_PointsAtTheCredentials()
    {
        File.WriteAllText(Path.Combine(directory, "id_ed25519"), "k");

        var result = Load(MinimalSource + "  credentials:\n    sshKeyFile: id_ed25519\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((3, 3), (error.Line, error.Column));
        Assert.StartsWith("source.credentials.sshKeyFile and source.credentials.knownHostsFile apply to ssh URLs only", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fetchTimeout: 2h", "source.fetchTimeout must be between 1s and 1h")]
    [InlineData("fetchTimeout: 500ms", "source.fetchTimeout must be between 1s and 1h")]
    [InlineData("fetchTimeout: 60", "source.fetchTimeout: invalid duration '60': it has no unit")]
    public void Load_FetchTimeoutOutOfRangeOrNotADuration_IsAnErrorAtTheValue(string line, string expected)
    {
        var result = Load(MinimalSource + "  " + line + "\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((3, 17), (error.Line, error.Column));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FetchTimeout_ReachesTheGitSource()
    {
        var result = Load(MinimalSource + "  fetchTimeout: 5m30s\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(TimeSpan.FromSeconds(330), ConfigLoader.GitSourceOptionsFrom(result.Config!).FetchTimeout);
    }

    [Theory]
    [InlineData("allowedSignersFile: allowed_signers")]
    [InlineData("gpgKeyFile: keys.asc")]
    public void Load_SignatureKeysWithoutPolicy_RequireSignatures(string keyLine)
    {
        File.WriteAllText(Path.Combine(directory, "allowed_signers"), "k");
        File.WriteAllText(Path.Combine(directory, "keys.asc"), "k");

        var result = Load(MinimalSource + "  signatures:\n    " + keyLine + "\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(SignaturePolicy.Required, result.Config!.Source.Signatures.Policy);
        Assert.NotNull(ConfigLoader.GitSourceOptionsFrom(result.Config).Signatures);
    }

    [Fact]
    public void Load_SignatureKeysWithPolicyNone_DoNotRequireSignatures()
    {
        File.WriteAllText(Path.Combine(directory, "allowed_signers"), "k");

        var result = Load(MinimalSource + "  signatures:\n    policy: none\n    allowedSignersFile: allowed_signers\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(SignaturePolicy.None, result.Config!.Source.Signatures.Policy);
        Assert.Null(ConfigLoader.GitSourceOptionsFrom(result.Config).Signatures);
    }

    [Fact]
    public void Load_HostEnvFiles_AreRelativeToTheConfigAndASingleValueIsAList()
    {
        File.WriteAllText(Path.Combine(directory, "secrets.env"), "A=1\n");

        var result = Load(MinimalSource + "spec:\n  hostEnvFiles: secrets.env\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal([Path.Combine(directory, "secrets.env")], result.Config!.Spec.HostEnvFiles);
    }

    [Fact]
    public void Load_SecretDirectories_DefaultAndRelativeToTheConfig()
    {
        var defaults = Load(MinimalSource);
        var set = Load(MinimalSource + "spec:\n  hostSecretsDirectory: secrets\n  secretFilesDirectory: /dev/shm/berth\n");

        Assert.Equal(("/etc/berth/secrets", "/run/berth/files"), (defaults.Config!.Spec.HostSecretsDirectory, defaults.Config.Spec.SecretFilesDirectory));
        Assert.True(set.Succeeded, string.Join("\n", set.Errors));
        Assert.Equal((Path.Combine(directory, "secrets"), "/dev/shm/berth"), (set.Config!.Spec.HostSecretsDirectory, set.Config.Spec.SecretFilesDirectory));
    }

    [Fact]
    public void Load_MissingHostEnvFile_IsAnErrorAtItsEntry()
    {
        File.WriteAllText(Path.Combine(directory, "secrets.env"), "A=1\n");

        var result = Load(MinimalSource + "spec:\n  hostEnvFiles:\n    - secrets.env\n    - /nonexistent/other.env\n");

        Assert.Equal(
            [$"{ConfigFile}:6:7: spec.hostEnvFiles: '/nonexistent/other.env' does not exist"],
            result.Errors.Select(error => error.ToString()));
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
        Assert.Contains("allowedSignersFile or gpgKeyFile: required", error.Message, StringComparison.Ordinal);
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
        Assert.Equal((1, 1), (error.Line, error.Column));
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

    [Fact]
    public void Load_Http_TokenFileAndAllowedHostsAreRead()
    {
        WriteOwnerOnly(Path.Combine(directory, "api-token"), "0123456789abcdef0123456789abcdef\n");

        var result = Load(MinimalSource + "http:\n  tokenFile: api-token\n  allowedHosts: [Berth.Internal]\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(new HttpSettings(Path.Combine(directory, "api-token"), ["berth.internal"]), result.Config!.Http);
    }

    [Fact]
    public void Load_Http_ShortTokenAndBadHostAreErrors()
    {
        WriteOwnerOnly(Path.Combine(directory, "api-token"), "short\n");

        var result = Load(MinimalSource + "http:\n  tokenFile: api-token\n  allowedHosts: [\"http://x:1\"]\n");

        Assert.Equal(2, result.Errors.Count);
        Assert.Contains(result.Errors, error => error.Message.Contains("http.tokenFile", StringComparison.Ordinal) && !error.Message.Contains("short", StringComparison.Ordinal));
        Assert.Contains(result.Errors, error => error.Message.Contains("http.allowedHosts", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_Http_TokenFileOthersCanRead_IsRefusedAtTheKey()
    {
        // Whoever reads it may run passes and lift the failed-revision hold (found in review).
        var file = Path.Combine(directory, "api-token");
        File.WriteAllText(file, "0123456789abcdef0123456789abcdef\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = Load(MinimalSource + "http:\n  tokenFile: api-token\n");

        Assert.Equal(
            [$"{ConfigFile}:4:3: http.tokenFile: '{file}' can be read or written by other users (mode 644); make it 0600 or 0400 (chmod 600)"],
            result.Errors.Select(error => error.ToString()));
    }

    private static void WriteOwnerOnly(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void Load_NoHttpSection_GeneratedTokenAndNoExtraHosts() =>
        Assert.Equal(HttpSettings.Default, Load(MinimalSource).Config!.Http);

    [Fact]
    public void Load_DurationsInGoSyntax_AreAcceptedAsInComposeFiles()
    {
        var result = Load(MinimalSource + "  fetchTimeout: 1.5m\nreconcile:\n  interval: 1.5m\n  jitter: 0\n  retryInitialDelay: 500ms\n  retryMaxDelay: 1h30m\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(TimeSpan.FromSeconds(90), result.Config!.Reconcile.Interval);
        Assert.Equal(TimeSpan.Zero, result.Config.Reconcile.Jitter);
        Assert.Equal(TimeSpan.FromMilliseconds(500), result.Config.Reconcile.RetryInitialDelay);
        Assert.Equal(TimeSpan.FromMinutes(90), result.Config.Reconcile.RetryMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(90), result.Config.Source.FetchTimeout);
    }

    [Fact]
    public void Load_BadDuration_IsReportedAtItsLineAndColumnInTheComposeFilesWords()
    {
        var result = Load(MinimalSource + "reconcile:\n  jitter: 1s\n  interval: 1.5x\n");

        Assert.Equal(
            [$"{ConfigFile}:5:13: reconcile.interval: invalid duration '1.5x': unknown unit 'x' (units: ns, us, ms, s, m, h); write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m"],
            result.Errors.Select(error => error.ToString()));
    }

    [Theory]
    [InlineData("interval: 1177h", "reconcile.interval: '1177h' is longer than 1176h, the longest duration berth accepts")]
    [InlineData("interval: 99999999999h", "reconcile.interval: '99999999999h' is longer than 1176h, the longest duration berth accepts")]
    [InlineData("interval: -5s", "reconcile.interval: invalid duration '-5s': a duration cannot be negative; write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m")]
    [InlineData("interval: 0", "reconcile.interval: must be greater than zero")]
    public void Load_DurationOutOfRange_IsAnErrorNotACrashLater(string line, string expected)
    {
        // Past 49.7 days Task.Delay throws: the reconcile loop would crash at its first wait.
        var result = Load(MinimalSource + "reconcile:\n  " + line + "\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((4, 13), (error.Line, error.Column));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Load_DurationOfSeveralWeeks_StaysValid()
    {
        var result = Load(MinimalSource + "reconcile:\n  interval: 1000h\n  retryMaxDelay: 1176h\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(TimeSpan.FromHours(1000), result.Config!.Reconcile.Interval);
    }

    [Fact]
    public void Load_RandomDurations_NeverThrowAndEveryErrorHasAPlace()
    {
        // Fuzz: any text as a duration gives a duration or the shared parser's error at the value.
        var random = new Random(20261204);
        const string alphabet = "0123456789.nsuµmh+-: xd\"'[]{}#";
        for (var round = 0; round < 3000; round++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(1, 16)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var result = Load(MinimalSource + "reconcile:\n  retryMaxDelay: 1176h\n  interval: " + text + "\n");

            Assert.True(result.Succeeded || result.Errors.Count > 0, text);
            Assert.All(result.Errors, error => Assert.True(error.Line >= 1 && error.Column >= 1, $"{text}: {error}"));
        }
    }
}
