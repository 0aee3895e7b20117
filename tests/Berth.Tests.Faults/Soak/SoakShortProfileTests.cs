using System.Diagnostics;

namespace Berth.Tests.Soak;

/// <summary>
/// The soak's CI profile (chaos/soak.sh --profile short: 10 services, 90 s of faults, on the soak's own
/// engine, with commits, drifts and engine restarts): the host converges on the last commit, no pass is
/// stalled by the faults, and the daemon's RSS, threads, descriptors and state file show no growth trend.
/// The long profile (50 services, hours) runs the same script by hand: docs/reliability.md.
/// </summary>
public sealed class SoakShortProfileTests
{
    [Fact]
    public async Task Soak_ShortProfile_ConvergesWithoutGrowth()
    {
        var root = RepositoryRoot();
        var output = Directory.CreateTempSubdirectory("berth-soak-ci-").FullName;
        var startInfo = new ProcessStartInfo(Path.Combine(root, "chaos", "soak.sh"), ["--profile", "short", "--out", output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The berth the tests were built with (same configuration as this test's output directory).
        startInfo.Environment["BERTH_BIN_DIR"] = AppContext.BaseDirectory;
        using var soak = Process.Start(startInfo)!;
        var stdout = soak.StandardOutput.ReadToEndAsync();
        var stderr = soak.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(9));
        try
        {
            await soak.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM: the script's trap removes its containers and stops its engine.
            Process.Start("kill", ["-TERM", soak.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await soak.WaitForExitAsync();
        }

        var summary = await stdout;
        // The summary line, for the suite's printed summary (the test output shows it).
        Console.WriteLine(summary);
        Assert.True(soak.ExitCode == 0, $"soak failed ({soak.ExitCode}):\n{summary}\n{await stderr}\nsamples and logs: {output}");
        Assert.Contains("berth faults [short] soak: ", summary, StringComparison.Ordinal);
        Directory.Delete(output, recursive: true);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("no Reconciler.sln above the test binaries");
    }
}
