using System.Diagnostics;

namespace Berth.Tests.Infrastructure;

/// <summary>Runs Debian's promtool (from the prometheus package) and returns its exit code and output.</summary>
public static class Promtool
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("promtool")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(RepositoryFiles.AlertRules)!,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"promtool {string.Join(' ', arguments)} did not finish within 60 s");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
