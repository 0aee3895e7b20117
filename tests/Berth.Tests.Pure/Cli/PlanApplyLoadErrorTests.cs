using Berth.Tests.Spec;

namespace Berth.Tests.Cli;

/// <summary>
/// `berth plan` and `berth apply` when there is nothing to act on: each case is one clear line and
/// exit 1, before the Docker engine is ever asked (the engine endpoint here does not exist).
/// </summary>
public sealed class PlanApplyLoadErrorTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-plan-load-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string command, params string[] args) =>
        Shared.CliRunner.RunAsync(["--docker-host", "unix:///nonexistent/docker.sock", "--state-dir", Path.Combine(directory, "state"), command, .. args]);

    private static string ExampleRepository => Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo");

    [Theory]
    [InlineData("plan")]
    [InlineData("apply")]
    public async Task Command_MissingRepoDirectory_IsOneLineAndExitsOne(string command)
    {
        var missing = Path.Combine(directory, "nonexistent");

        var (exitCode, stdout, stderr) = await RunAsync(command, "--repo", missing, "--host", "demo");

        Assert.Equal(1, exitCode);
        Assert.Equal($"berth {command}: repository directory '{missing}' does not exist (--repo)", stderr.Trim());
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("apply")]
    public async Task Command_SymbolicLinkOutOfTheRepository_NamesTheFileAndExitsOne(string command)
    {
        var repository = Directory.CreateDirectory(Path.Combine(directory, "repo")).FullName;
        var outside = Path.Combine(directory, "outside.yaml");
        File.WriteAllText(outside, "services:\n  web: { image: busybox }\n");
        File.CreateSymbolicLink(Path.Combine(repository, "compose.yaml"), outside);

        var (exitCode, _, stderr) = await RunAsync(command, "--repo", repository, "--host", "h");

        Assert.Equal(1, exitCode);
        Assert.Contains("compose.yaml:1:1: is a symbolic link that leads out of the repository", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("apply")]
    public async Task Command_HostNotInInventory_NamesTheKnownHostsAndExitsOne(string command)
    {
        var (exitCode, stdout, stderr) = await RunAsync(command, "--repo", ExampleRepository, "--host", "deom");

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"berth {command}: host deom is not in the inventory (berth.yaml); known hosts: demo, web-2.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("no changes", stdout, StringComparison.Ordinal);
    }
}
