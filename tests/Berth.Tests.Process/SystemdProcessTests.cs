using System.Diagnostics;
using System.Net;
using Berth.Tests.Process.Infrastructure;

namespace Berth.Tests.Process;

/// <summary>The daemon as systemd sees it: a notify socket, a watchdog interval, SIGTERM.</summary>
public sealed class SystemdProcessTests
{
    [Fact]
    public async Task Daemon_UnderSystemdWithWatchdog_SendsReadyStatusAndWatchdogPings()
    {
        var started = Stopwatch.StartNew();
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { UnderSystemd = true, Watchdog = TimeSpan.FromSeconds(2) });
        var notify = daemon.Notify!;

        await notify.WaitForAsync("READY=1");
        var readyAfter = started.Elapsed;
        var status = await notify.WaitForAsync("STATUS=pass 1 ");
        for (var ping = 0; ping < 3; ping++)
        {
            await notify.WaitForAsync("WATCHDOG=1", within: TimeSpan.FromSeconds(5));
        }

        Assert.Contains("Converged at 0123456789ab", status, StringComparison.Ordinal);
        Assert.True(readyAfter < TimeSpan.FromSeconds(15), $"READY=1 after {readyAfter}");
    }

    [Fact]
    public async Task Daemon_PassStuck_WatchdogPingsStopAndHealthzFails()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup
        {
            UnderSystemd = true,
            Watchdog = TimeSpan.FromSeconds(1),
            // A pass that hangs and ignores cancellation, like a git fetch against a server that never answers.
            PassScript = PassScripts.Slow("0123456789abcdef", delayMilliseconds: 120_000, ignoreCancellation: true),
            ReconcileYaml = "  interval: 30s\n  stuckPassAfter: 2s\n  shutdownTimeout: 1s\n",
        });
        var notify = daemon.Notify!;
        await notify.WaitForAsync("READY=1");
        await notify.WaitForAsync("WATCHDOG=1");

        var unhealthy = await notify.WaitForAsync("STATUS=unhealthy");

        Assert.Contains("pass stuck", unhealthy, StringComparison.Ordinal);
        // Pings come every 0.5 s while alive; none for four periods means systemd would now restart berth.
        Assert.False(await notify.ReceivesWithinAsync("WATCHDOG=1", TimeSpan.FromSeconds(2)), notify.Transcript);
        using var health = await daemon.Http.GetAsync(new Uri("healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);

        // Even then, SIGTERM ends the process within the shutdown timeout (the hung pass is abandoned, and says so).
        await daemon.SendSigtermAsync();
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("Pass 1 did not finish within the shutdown timeout", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_Sigterm_SendsStoppingAndExitsZeroPromptly()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { UnderSystemd = true, Watchdog = TimeSpan.FromSeconds(2) });
        var notify = daemon.Notify!;
        await notify.WaitForAsync("READY=1");
        await notify.WaitForAsync("STATUS=pass 1 ");

        var stopping = Stopwatch.StartNew();
        await daemon.SendSigtermAsync();

        await notify.WaitForAsync("STOPPING=1");
        var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{daemon.Output}");
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"took {stopping.Elapsed} to stop");
        Assert.Contains("Reconcile loop stopped", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_SigtermDuringAPass_PassIsCancelledAndTheProcessExitsZero()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup
        {
            UnderSystemd = true,
            PassScript = PassScripts.Slow("0123456789abcdef", delayMilliseconds: 60_000),
        });
        await daemon.Notify!.WaitForAsync("READY=1");
        await daemon.WaitUntilHealthyAsync();

        await daemon.SendSigtermAsync();

        var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{daemon.Output}");
        Assert.Contains("interrupted: the daemon is stopping", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_UnderSystemd_LogsInTheJournalFormat()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { UnderSystemd = true });
        await daemon.Notify!.WaitForAsync("STATUS=pass 1 ");

        // The systemd console formatter: "<6>Category[EventId] message" on one line, no timestamps (the journal adds them).
        await Deadline.UntilAsync(
            () => Task.FromResult(daemon.Output.Contains("<6>Berth.Daemon.Loop.ReconcileLoop[100] Pass 1 (Startup): Converged at revision 0123456789abcdef", StringComparison.Ordinal) ? "yes" : null),
            "a journal-formatted pass line:\n" + daemon.Output);
    }
}
