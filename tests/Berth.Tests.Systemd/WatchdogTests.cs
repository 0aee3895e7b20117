using Berth.Tests.Systemd.Infrastructure;

namespace Berth.Tests.Systemd;

/// <summary>
/// The packaged unit's watchdog end to end: a pass that hangs (the daemon's BERTH_TEST_PASS_SCRIPT
/// hook, set through a drop-in as an administrator would override the unit) stops berth's WATCHDOG=1
/// pings, and systemd kills and restarts berth.
/// </summary>
public sealed class WatchdogTests
{
    [Fact]
    public async Task Watchdog_HungPass_SystemdKillsAndRestartsBerth()
    {
        var deb = await DebPackages.CurrentAsync();
        await using var container = await SystemdContainer.StartAsync();
        await BerthPackage.InstallAsync(container, deb);
        await BerthPackage.ConfigureAsync(container);
        // The pass counts as stuck after 2 s; the watchdog is shortened from 60 s to 5 s by a drop-in.
        await container.CheckedAsync($"sed -i 's|^  #stuckPassAfter: .*|  stuckPassAfter: 2s|' {SystemdContainer.ConfigFile}");
        await container.CheckedAsync(
            """echo '{"outcome":"Converged","revision":"0123456789ab","summary":"hangs","delayMilliseconds":600000,"ignoreCancellation":true}' > /etc/berth/hung-pass.json""");
        await container.CheckedAsync(
            "mkdir -p /etc/systemd/system/berth.service.d && printf '[Service]\\nEnvironment=BERTH_TEST_PASS_SCRIPT=/etc/berth/hung-pass.json\\nWatchdogSec=5s\\n' " +
            "> /etc/systemd/system/berth.service.d/test-watchdog.conf && systemctl daemon-reload");

        await BerthPackage.EnableNowAsync(container);
        var firstPid = await BerthPackage.MainPidAsync(container);

        await Deadline.UntilAsync(async () =>
        {
            var restarts = await container.UnitPropertyAsync(BerthPackage.Unit, "NRestarts");
            return (restarts != "0" ? restarts : null, $"NRestarts={restarts}");
        }, "systemd to restart berth after a watchdog timeout", TimeSpan.FromSeconds(60));
        await BerthPackage.WaitActiveRunningAsync(container, notPid: firstPid);

        var journal = await container.JournalAsync();
        Assert.Contains("Reconcile loop not alive", journal, StringComparison.Ordinal);
        Assert.Contains("Watchdog timeout", journal, StringComparison.Ordinal);
        // WatchdogSignal=SIGKILL: killed at once, no core dump of the .NET process.
        Assert.Contains("status=9/KILL", journal, StringComparison.Ordinal);
        Assert.Empty((await container.ExecAsync($"ls {SystemdContainer.StateDir} | grep -i core")).Stdout.Trim());
    }
}
