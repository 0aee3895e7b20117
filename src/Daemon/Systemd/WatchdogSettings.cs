using System.Globalization;

namespace Berth.Daemon.Systemd;

/// <summary>
/// The systemd watchdog as sd_watchdog_enabled(3) reads it: WATCHDOG_USEC is the interval in
/// microseconds; WATCHDOG_PID, when set, names the process that must ping (a child that inherited the
/// environment must not). berth pings at half the interval, as systemd recommends.
/// </summary>
public sealed record WatchdogSettings(TimeSpan Interval)
{
    public TimeSpan PingPeriod => Interval / 2;

    /// <summary>Null when the watchdog is off or not meant for this process.</summary>
    public static WatchdogSettings? FromEnvironment(IReadOnlyDictionary<string, string?> environment, int processId)
    {
        if (!environment.TryGetValue("WATCHDOG_USEC", out var usecText)
            || !long.TryParse(usecText, NumberStyles.None, CultureInfo.InvariantCulture, out var usec)
            || usec <= 0)
        {
            return null;
        }

        if (environment.TryGetValue("WATCHDOG_PID", out var pidText) && !string.IsNullOrEmpty(pidText)
            && (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != processId))
        {
            return null;
        }

        return new WatchdogSettings(TimeSpan.FromMicroseconds(usec));
    }
}
