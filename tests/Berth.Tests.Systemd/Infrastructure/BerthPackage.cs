using System.Diagnostics;

namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>
/// The install steps of docs/install.md, run inside a <see cref="SystemdContainer"/>: apt install the
/// .deb, edit /etc/berth/berth.yaml, systemctl enable --now berth. Keep the two in step.
/// </summary>
public static class BerthPackage
{
    public const string Unit = "berth.service";

    private static readonly TimeSpan AptTimeout = TimeSpan.FromMinutes(5);

    /// <summary>`apt install ./berth_VERSION_amd64.deb` from root's home, as an administrator would.</summary>
    public static async Task InstallAsync(SystemdContainer container, string debPath)
    {
        var fileName = Path.GetFileName(debPath);
        await container.CopyInAsync(debPath, $"/root/{fileName}");
        await container.CheckedAsync($"cd /root && DEBIAN_FRONTEND=noninteractive apt install --yes ./{fileName}", AptTimeout);
    }

    /// <summary>
    /// The edit of the shipped, commented config: uncomment and set host, source.url (the git server,
    /// over the network), and a short poll interval (the test's only deviation from a production
    /// config: it waits for new commits).
    /// </summary>
    public static async Task ConfigureAsync(SystemdContainer container)
    {
        var config = SystemdContainer.ConfigFile;
        var url = container.Repository.Url;
        await container.CheckedAsync(
            $"sed -i -e 's|^#host: .*|host: {container.ScopeId}|' " +
            $"-e 's|^  #url: .*|  url: {url}|' " +
            $"-e 's|^  #interval: .*|  interval: 5s|' -e 's|^  #jitter: .*|  jitter: 1s|' {config}");
        var edited = await container.CheckedAsync($"cat {config}");
        Assert.Contains($"\nhost: {container.ScopeId}\n", edited, StringComparison.Ordinal);
        Assert.Contains($"\n  url: {url}\n", edited, StringComparison.Ordinal);
        Assert.Contains("\n  interval: 5s\n", edited, StringComparison.Ordinal);
        Assert.Contains("\n  jitter: 1s\n", edited, StringComparison.Ordinal);
    }

    /// <summary>`systemctl enable --now berth`, then waits for active (running); returns the time it took.</summary>
    public static async Task<TimeSpan> EnableNowAsync(SystemdContainer container)
    {
        var clock = Stopwatch.StartNew();
        // With Type=notify, systemctl returns only once berth sent READY=1 (or the start failed).
        var start = await container.ExecAsync($"systemctl enable --now {Unit}");
        Assert.True(start.Succeeded, start + "\n--- journal\n" + await container.JournalAsync());
        await WaitActiveRunningAsync(container);
        return clock.Elapsed;
    }

    public static async Task WaitActiveRunningAsync(SystemdContainer container, string? notPid = null) =>
        await Deadline.UntilAsync(async () =>
        {
            var state = (await container.CheckedAsync($"systemctl show -p ActiveState -p SubState -p MainPID {Unit}")).Trim();
            var running = state.Contains("ActiveState=active", StringComparison.Ordinal)
                && state.Contains("SubState=running", StringComparison.Ordinal)
                && (notPid is null || !state.Contains($"MainPID={notPid}\n", StringComparison.Ordinal));
            return (running ? state : null, state.Replace('\n', ' '));
        }, "berth.service to be active (running)");

    public static async Task<string> MainPidAsync(SystemdContainer container) =>
        await container.UnitPropertyAsync(Unit, "MainPID");

    /// <summary>A fresh container with berth installed from <paramref name="debPath"/>, configured and running.</summary>
    public static async Task<(SystemdContainer Container, TimeSpan TimeToActive)> RunningAsync(string debPath)
    {
        var container = await SystemdContainer.StartAsync();
        try
        {
            await InstallAsync(container, debPath);
            await ConfigureAsync(container);
            var elapsed = await EnableNowAsync(container);
            return (container, elapsed);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }
}
