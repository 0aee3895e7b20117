using Berth.Daemon.Cli;

namespace Berth.Tests.Cli;

public sealed class BerthCliTests
{
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => Shared.CliRunner.RunAsync(args);

    [Fact]
    public async Task Help_ListsEverySubcommand()
    {
        var (exitCode, stdout, _) = await RunAsync("--help");

        Assert.Equal(0, exitCode);
        foreach (var subcommand in new[] { "validate", "plan", "apply", "daemon", "status", "sync" })
        {
            Assert.Contains(subcommand, stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_PrintsTheProductVersion()
    {
        var (exitCode, stdout, _) = await RunAsync("--version");

        Assert.Equal(0, exitCode);
        Assert.StartsWith(BerthCli.Version.Split('+')[0], stdout.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownOption_IsAnErrorWithNonZeroExit()
    {
        var (exitCode, _, stderr) = await RunAsync("plan", "--no-such-option");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--no-such-option", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://ghp_SECRET@github.com/org/repo.git", "git.url must not contain a user name, password or token")]
    [InlineData("git@github.com:org/repo.git", "credentials.knownHostsFile is required for ssh URLs")]
    public async Task Plan_InvalidGitSource_IsAnErrorMessageWithoutTheToken(string url, string expected)
    {
        var stateDirectory = Directory.CreateTempSubdirectory("berth-cli-git-").FullName;
        try
        {
            var (exitCode, _, stderr) = await RunAsync("--state-dir", stateDirectory, "plan", "--git", url, "--host", "web-01");

            Assert.Equal(1, exitCode);
            Assert.Contains($"berth plan: cannot read the desired state: invalid git source: ", stderr, StringComparison.Ordinal);
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("ghp_SECRET", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }
}
