using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Systemd;

internal static partial class SystemdLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "systemd watchdog enabled: interval {IntervalSeconds:F1} s, pinging every {PeriodSeconds:F1} s while the reconcile loop is alive")]
    public static partial void WatchdogEnabled(ILogger logger, double intervalSeconds, double periodSeconds);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Reconcile loop not alive ({Reason}): withholding watchdog pings so that systemd restarts berth")]
    public static partial void WatchdogWithheld(ILogger logger, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Reconcile loop alive again: watchdog pings resumed")]
    public static partial void WatchdogResumed(ILogger logger);
}
