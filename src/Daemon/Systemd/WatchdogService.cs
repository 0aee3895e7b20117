using Berth.Daemon.Loop;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Systemd;

/// <summary>
/// Sends WATCHDOG=1 (the hosting package does not) every half watchdog interval, but only while the
/// reconcile loop is alive (<see cref="LoopLiveness"/>): a stuck pass or a wedged loop stops the pings,
/// and systemd restarts the daemon (WatchdogSec= with Restart=on-failure / on-watchdog).
/// </summary>
internal sealed class WatchdogService(
    WatchdogSettings settings,
    LoopLiveness liveness,
    ISystemdStateSender notifier,
    TimeProvider timeProvider,
    ILogger<WatchdogService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        SystemdLog.WatchdogEnabled(logger, settings.Interval.TotalSeconds, settings.PingPeriod.TotalSeconds);
        using var timer = new PeriodicTimer(settings.PingPeriod, timeProvider);
        var withholding = false;
        try
        {
            do
            {
                var verdict = liveness.Check(timeProvider.GetUtcNow());
                if (!verdict.Alive)
                {
                    if (!withholding)
                    {
                        SystemdLog.WatchdogWithheld(logger, verdict.Reason);
                        SendStatus($"STATUS=unhealthy: {verdict.Reason}");
                    }

                    withholding = true;
                    continue;
                }

                if (withholding)
                {
                    SystemdLog.WatchdogResumed(logger);
                    withholding = false;
                }

                Send("WATCHDOG=1");
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: systemd stops expecting pings once it has STOPPING=1.
        }
    }

    private void SendStatus(string status) => Send(SystemdStatusReporter.OneLine(status));

    // Never blocks and never throws (NotifySocketSender); a ping that could not be sent is retried at the next tick.
    private void Send(string state) => notifier.TrySend(state);
}
