using System.Diagnostics;
using System.Text.Json;
using Berth.Reconciler.Loop;
using Berth.Tests.Process.Infrastructure;

namespace Berth.Tests.Process;

public sealed class CliProcessTests
{
    [Fact]
    public async Task BerthSync_DaemonRunning_WaitsForANewPassAndExitsZero()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup());
        await daemon.WaitUntilHealthyAsync();
        await daemon.SetPassScriptAsync(PassScripts.Slow("feedfacecafebeef", delayMilliseconds: 1500));

        var stopwatch = Stopwatch.StartNew();
        var (exitCode, stdout, stderr) = await DaemonProcess.RunCliAsync("sync", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile);

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}\n{daemon.Output}");
        Assert.Contains("(Cli) Changed at feedfacecafebeef", stdout, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(1.5), "sync returned before its pass could have finished");
    }

    [Fact]
    public async Task BerthSync_PassStalls_ExitsOneWithTheReason()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { PassScript = PassScripts.FailedRollout });
        await daemon.WaitUntilHealthyAsync();

        var (exitCode, stdout, _) = await DaemonProcess.RunCliAsync("sync", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile);

        Assert.Equal(1, exitCode);
        Assert.Contains("Stalled (RolloutFailed)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BerthStatus_FailedRollout_ShowsWhatFailedAndItsEvidence()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { PassScript = PassScripts.FailedRollout });
        await daemon.WaitUntilHealthyAsync();
        await Deadline.UntilAsync(async () => (await daemon.GetStatusAsync()).LastAttempted, "the startup pass");

        var (exitCode, stdout, stderr) = await DaemonProcess.RunCliAsync("status", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("Stalled      True    RolloutFailed", stdout, StringComparison.Ordinal);
        Assert.Contains("web/api", stdout, StringComparison.Ordinal);
        Assert.Contains("last rollout RolledBack badc0ffee0dd", stdout, StringComparison.Ordinal);
        Assert.Contains("|   FATAL: DATABASE_URL is not set", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BerthStatusJson_FailedRollout_IsTheStatusDocumentWithEvidence()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { PassScript = PassScripts.FailedRollout });
        await daemon.WaitUntilHealthyAsync();
        await Deadline.UntilAsync(async () => (await daemon.GetStatusAsync()).LastAttempted, "the startup pass");

        var (exitCode, stdout, _) = await DaemonProcess.RunCliAsync("status", "--json", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile);

        Assert.Equal(0, exitCode);
        var status = JsonSerializer.Deserialize(stdout, StatusJsonContext.Default.StatusSnapshot)!;
        var api = status.Services.Single(service => service.Service == "api");
        Assert.Equal(RolloutState.RolledBack, api.LastRollout!.Result);
        Assert.Contains("exited with code 3", api.LastRollout.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BerthStatus_NoUrl_FindsTheDaemonThroughListenInItsConfig()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup());
        await daemon.WaitUntilHealthyAsync();

        var (exitCode, stdout, stderr) = await DaemonProcess.RunCliAsync("status", "--config", Path.Combine(daemon.Directory, "berth.yaml"));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("host process-test", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BerthStatus_NoDaemon_ExitsOneWithAHint()
    {
        var (exitCode, _, stderr) = await DaemonProcess.RunCliAsync("status", "--url", "http://127.0.0.1:1");

        Assert.Equal(1, exitCode);
        Assert.Contains("is `berth daemon` running?", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BerthDaemon_PortTaken_ExitsOneBeforeAnyPass()
    {
        var directory = Directory.CreateTempSubdirectory("berth-porttaken-").FullName;
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
            var config = Path.Combine(directory, "berth.yaml");
            await File.WriteAllTextAsync(config, $"listen: 127.0.0.1:{port}\nstateDir: {directory}\nsource:\n  url: https://git.example.com/ops.git\n");

            var (exitCode, stdout, stderr) = await DaemonProcess.RunCliAsync("daemon", "--config", config);

            Assert.Equal(1, exitCode);
            Assert.Contains("address already in use", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Pass 1", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task BerthDaemon_InvalidConfig_ExitsNonZeroListingEveryErrorWithLineAndColumn()
    {
        var directory = Directory.CreateTempSubdirectory("berth-badconfig-").FullName;
        try
        {
            var config = Path.Combine(directory, "berth.yaml");
            await File.WriteAllTextAsync(config, "listen: nowhere\nreconcile:\n  interval: soon\n");

            var (exitCode, _, stderr) = await DaemonProcess.RunCliAsync("daemon", "--config", config);

            Assert.Equal(1, exitCode);
            Assert.Contains($"{config}:1:9: listen: 'nowhere'", stderr, StringComparison.Ordinal);
            Assert.Contains($"{config}:3:13: reconcile.interval: invalid duration 'soon': it must start with a number", stderr, StringComparison.Ordinal);
            Assert.Contains("source: required", stderr, StringComparison.Ordinal);
            Assert.Contains("3 error(s) in the configuration; not starting", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
