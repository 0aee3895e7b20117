using Berth.Tests.Systemd.Infrastructure;
using Xunit.Abstractions;

namespace Berth.Tests.Systemd;

/// <summary>
/// The .deb on a fresh Debian 12 under real systemd: what apt installs, the unit reaching active
/// (running) through READY=1, the journal, a clean stop, and systemd restarting a killed berth.
/// Each test boots its own container (a fresh host) and removes it afterwards.
/// </summary>
public sealed class PackageInstallTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Install_FreshHost_EnabledNotStartedWithFilesInPlace()
    {
        var deb = await DebPackages.CurrentAsync();
        await using var container = await SystemdContainer.StartAsync();

        await BerthPackage.InstallAsync(container, deb);

        // Enabled for the next boot, but not started: the config has no source.url yet.
        Assert.Equal("enabled", (await container.ExecAsync("systemctl is-enabled berth")).Stdout.Trim());
        Assert.Equal("inactive", (await container.ExecAsync("systemctl is-active berth")).Stdout.Trim());
        Assert.StartsWith(DebPackages.CurrentVersion, (await container.CheckedAsync("berth --version")).Trim(), StringComparison.Ordinal);
        Assert.Equal($"{DebPackages.CurrentVersion}", (await container.CheckedAsync("dpkg-query -W -f='${Version}' berth")).Trim());
        Assert.Contains("/etc/berth/berth.yaml", await container.CheckedAsync("dpkg-query -W -f='${Conffiles}' berth"), StringComparison.Ordinal);
        Assert.Equal("/usr/bin/berth", (await container.CheckedAsync("command -v berth")).Trim());
        Assert.Equal("/lib/systemd/system/berth.service", await container.UnitPropertyAsync(BerthPackage.Unit, "FragmentPath"));
        Assert.Equal("700 root", (await container.CheckedAsync($"stat -c '%a %U' {SystemdContainer.StateDir}")).Trim());
        // The shipped config is the documented one, with source.url still commented out.
        Assert.Contains("#url: ", await container.CheckedAsync($"cat {SystemdContainer.ConfigFile}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnableNow_Configured_ActiveRunningThroughNotify()
    {
        var deb = await DebPackages.CurrentAsync();
        var (container, timeToActive) = await BerthPackage.RunningAsync(deb);
        await using var _ = container;
        output.WriteLine($"systemctl enable --now berth to active (running): {timeToActive.TotalMilliseconds:F0} ms");

        // Type=notify: systemd reports active only after READY=1.
        Assert.Equal("notify", await container.UnitPropertyAsync(BerthPackage.Unit, "Type"));
        Assert.Equal("active (running)", (await container.CheckedAsync("systemctl status berth --no-pager | sed -n 's/^ *Active: \\([a-z]* ([a-z]*)\\).*/\\1/p'")).Trim());
        // berth's own STATUS= line after its first pass, and the watchdog it reads from WATCHDOG_USEC.
        var statusText = await Deadline.UntilAsync(async () =>
        {
            var text = await container.UnitPropertyAsync(BerthPackage.Unit, "StatusText");
            return (text.Length > 0 ? text : null, $"StatusText='{text}'");
        }, "berth to report a STATUS= line to systemd");
        output.WriteLine($"StatusText: {statusText}");
        Assert.Equal("1min", await container.UnitPropertyAsync(BerthPackage.Unit, "WatchdogUSec"));
        await Deadline.UntilAsync(async () =>
        {
            var journal = await container.JournalAsync();
            return (journal.Contains("systemd watchdog enabled", StringComparison.Ordinal) ? journal : null, journal);
        }, "berth to log that it feeds the systemd watchdog");
    }

    [Fact]
    public async Task Journal_Running_HoldsBerthsStructuredLines()
    {
        var deb = await DebPackages.CurrentAsync();
        var (container, _) = await BerthPackage.RunningAsync(deb);
        await using var _container = container;

        // The first pass's line: category and event id (the systemd console format), then the message
        // with its fields; the <N> level prefix became the journal's PRIORITY, not part of the text.
        var passLine = await Deadline.UntilAsync(async () =>
        {
            var lines = (await container.ExecAsync("journalctl -u berth --no-pager -o cat")).Stdout.Split('\n');
            var line = lines.FirstOrDefault(l => l.Contains("Berth.Daemon.Loop.ReconcileLoop[10", StringComparison.Ordinal)
                && l.Contains("Pass 1 (", StringComparison.Ordinal));
            return (line, string.Join('\n', lines.TakeLast(20)));
        }, "berth's first pass line in the journal");
        output.WriteLine(passLine);
        var messages = (await container.CheckedAsync("journalctl -u berth --no-pager -o cat")).Split('\n');
        Assert.DoesNotContain(messages, message => System.Text.RegularExpressions.Regex.IsMatch(message, "^<[0-7]>"));
        var fields = await container.CheckedAsync(
            "journalctl -u berth --no-pager -o export | grep -E '^(SYSLOG_IDENTIFIER|PRIORITY)=' | sort | uniq -c");
        output.WriteLine(fields);
        Assert.Contains("SYSLOG_IDENTIFIER=berth", fields, StringComparison.Ordinal);
        // Levels became priorities: information (6) at least (startup and watchdog lines).
        Assert.Contains("PRIORITY=6", fields, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_Running_InactiveWithExitZero()
    {
        var deb = await DebPackages.CurrentAsync();
        var (container, _) = await BerthPackage.RunningAsync(deb);
        await using var _container = container;

        var stop = await container.ExecAsync("systemctl stop berth");
        Assert.True(stop.Succeeded, stop.ToString());

        Assert.Equal("inactive", (await container.ExecAsync("systemctl is-active berth")).Stdout.Trim());
        Assert.Equal("success", await container.UnitPropertyAsync(BerthPackage.Unit, "Result"));
        Assert.Equal("0", await container.UnitPropertyAsync(BerthPackage.Unit, "ExecMainStatus"));
        Assert.Equal("0", await container.UnitPropertyAsync(BerthPackage.Unit, "NRestarts"));
        Assert.Contains("Reconcile loop stopped", await container.JournalAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_SigKill_SystemdRestartsBerth()
    {
        var deb = await DebPackages.CurrentAsync();
        var (container, _) = await BerthPackage.RunningAsync(deb);
        await using var _container = container;
        var firstPid = await BerthPackage.MainPidAsync(container);

        await container.CheckedAsync("systemctl kill -s KILL berth");

        // Restart=on-failure, RestartSec=5s: a new process, active (running) through READY=1 again.
        await BerthPackage.WaitActiveRunningAsync(container, notPid: firstPid);
        Assert.NotEqual(firstPid, await BerthPackage.MainPidAsync(container));
        Assert.Equal("1", await container.UnitPropertyAsync(BerthPackage.Unit, "NRestarts"));
    }
}
