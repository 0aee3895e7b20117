using System.Diagnostics;

namespace Berth.Tests.Process;

/// <summary>
/// scripts/ensure-docker.sh decides by the machine's socket and pid file, never by process names: a
/// private dockerd (a test's or a soak's second engine) must not stop it from starting the machine's
/// engine. Checked in its dry run, against a socket that does not exist, so the machine's engine is
/// never touched; the "dockerd" here is a copy of sleep under that name (what /proc says it is).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EnsureDockerScriptTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-ensure-docker-").FullName;
    private readonly List<System.Diagnostics.Process> started = [];

    [Fact]
    public async Task SocketSilent_AnotherDockerdRuns_StartsTheMachineEngine()
    {
        var otherEngine = StartFakeDockerd();
        File.WriteAllText(Path.Combine(directory, "private.pid"), otherEngine.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var (exitCode, stderr) = await RunDryAsync(pidFile: Path.Combine(directory, "docker.pid"));

        Assert.Equal(0, exitCode);
        Assert.Contains("dry run: would start dockerd", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("waiting", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketSilent_TheMachineEnginesPidFileNamesARunningDockerd_WaitsForIt()
    {
        var machineEngine = StartFakeDockerd();
        var pidFile = Path.Combine(directory, "docker.pid");
        File.WriteAllText(pidFile, machineEngine.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");

        var (exitCode, stderr) = await RunDryAsync(pidFile);

        Assert.Equal(0, exitCode);
        Assert.Contains("a dockerd process runs but does not answer on", stderr, StringComparison.Ordinal);
        Assert.Contains("dry run: would wait", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketSilent_StalePidFile_StartsTheMachineEngine()
    {
        // The pid is alive (this test process) but is not a dockerd: a pid file left by a crash, its pid reused.
        var pidFile = Path.Combine(directory, "docker.pid");
        File.WriteAllText(pidFile, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var (exitCode, stderr) = await RunDryAsync(pidFile);

        Assert.Equal(0, exitCode);
        Assert.Contains("dry run: would start dockerd", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketOverride_OutsideADryRun_IsRefused()
    {
        var (exitCode, stderr) = await RunAsync(new Dictionary<string, string> { ["BERTH_DOCKER_SOCK"] = Path.Combine(directory, "none.sock") });

        Assert.Equal(2, exitCode);
        Assert.Contains("are for dry runs only", stderr, StringComparison.Ordinal);
    }

    private System.Diagnostics.Process StartFakeDockerd()
    {
        var fake = Path.Combine(directory, "dockerd");
        if (!File.Exists(fake))
        {
            File.Copy("/bin/sleep", fake);
        }

        var process = System.Diagnostics.Process.Start(new ProcessStartInfo(fake, "300") { UseShellExecute = false })!;
        started.Add(process);
        return process;
    }

    private Task<(int ExitCode, string Stderr)> RunDryAsync(string pidFile) => RunAsync(new Dictionary<string, string>
    {
        ["BERTH_ENSURE_DOCKER_DRY_RUN"] = "1",
        ["BERTH_DOCKER_SOCK"] = Path.Combine(directory, "none.sock"),
        ["BERTH_DOCKERD_PIDFILE"] = pidFile,
    });

    private static async Task<(int ExitCode, string Stderr)> RunAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "scripts", "ensure-docker.sh")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var script = System.Diagnostics.Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stderr = script.StandardError.ReadToEndAsync(timeout.Token);
        var stdout = script.StandardOutput.ReadToEndAsync(timeout.Token);
        await script.WaitForExitAsync(timeout.Token);
        return (script.ExitCode, await stderr + await stdout);
    }

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Reconciler.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException($"no Reconciler.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose()
    {
        foreach (var process in started)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }

        Directory.Delete(directory, recursive: true);
    }
}
