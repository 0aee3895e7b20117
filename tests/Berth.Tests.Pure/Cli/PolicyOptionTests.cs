using Berth.Tests.Spec;

namespace Berth.Tests.Cli;

/// <summary>
/// `--policy FILE` on validate, plan and apply: the host policy a workstation or a CI job checks a
/// repository against (the daemon's own config file works as the file). Without it, no policy.
/// Plan and apply stop before the Docker engine is asked (the endpoint here does not exist).
/// </summary>
public sealed class PolicyOptionTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-policy-cli-").FullName;

    public PolicyOptionTests()
    {
        Directory.CreateDirectory(Path.Combine(directory, "repo"));
        File.WriteAllText(Path.Combine(directory, "repo", "compose.yaml"),
            "name: tools\nservices:\n  sniffer:\n    image: busybox\n    network_mode: host\n    cap_add: [NET_ADMIN]\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n");
        File.WriteAllText(Path.Combine(directory, "policy.yaml"), "policy:\n  capabilities: [NET_BIND_SERVICE]\n");
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Repository => Path.Combine(directory, "repo");

    private string PolicyFile => Path.Combine(directory, "policy.yaml");

    [Fact]
    public async Task Validate_WithPolicy_ReportsEveryViolationWithItsPlaceAndExitsOne()
    {
        var (exitCode, stdout, stderr) = await Shared.CliRunner.RunAsync(["validate", "--repo", Repository, "--host", "h", "--policy", PolicyFile]);

        Assert.Equal(1, exitCode);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("compose.yaml:5:19: services.sniffer.network_mode: host shares the host's network namespace;", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("compose.yaml:6:15: services.sniffer.cap_add: capability NET_ADMIN", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("compose.yaml:7:15: services.sniffer.volumes: the bind mount of '/var/run/docker.sock'", lines[2], StringComparison.Ordinal);
        Assert.Equal("3 errors", lines[3]);
    }

    [Fact]
    public async Task Validate_WithoutPolicy_AllowsWhatTheRepositoryAsks()
    {
        var (exitCode, stdout, _) = await Shared.CliRunner.RunAsync(["validate", "--repo", Repository, "--host", "h"]);

        Assert.Equal(0, exitCode);
        Assert.Equal("host h: 1 stack (tools), 1 service, 1 replica", stdout.Trim());
    }

    [Fact]
    public async Task Validate_ThePackagedConfigAsPolicy_ExampleRepositoryPasses()
    {
        var (exitCode, stdout, stderr) = await Shared.CliRunner.RunAsync([
            "validate", "--repo", Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"),
            "--policy", Path.Combine(SpecLoaderTests.RepositoryRoot(), "packaging", "berth.yaml")]);

        Assert.Equal("", stderr);
        Assert.Equal(0, exitCode);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Validate_InvalidPolicyFile_NamesItsErrorsAndChecksNothing()
    {
        File.WriteAllText(PolicyFile, "policy:\n  priviledged: false\n");

        var (exitCode, _, stderr) = await Shared.CliRunner.RunAsync(["validate", "--repo", Repository, "--policy", PolicyFile]);

        Assert.Equal(1, exitCode);
        Assert.Contains($"{PolicyFile}:2:3: unknown key 'priviledged' in policy", stderr, StringComparison.Ordinal);
        Assert.Contains("berth validate: the policy file is invalid (1 error); nothing was checked", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("apply")]
    public async Task PlanAndApply_WithPolicy_RefuseTheViolatingStateBeforeTheEngine(string command)
    {
        var (exitCode, stdout, stderr) = await Shared.CliRunner.RunAsync([
            "--docker-host", "unix:///nonexistent/docker.sock", "--state-dir", Path.Combine(directory, "state"),
            command, "--repo", Repository, "--host", "h", "--policy", PolicyFile]);

        Assert.Equal(1, exitCode);
        Assert.Equal("", stdout);
        Assert.Contains("compose.yaml:6:15: services.sniffer.cap_add: capability NET_ADMIN", stderr, StringComparison.Ordinal);
        Assert.Contains($"berth {command}: the desired state is invalid (3 errors); nothing was changed", stderr, StringComparison.Ordinal);
    }
}
