using Berth.Daemon.Cli;

namespace Berth.Tests.Shared;

/// <summary>Runs the `berth` command tree in-process and captures what it prints.</summary>
public static class CliRunner
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await BerthCli.RunAsync(args, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
