using Berth.Reconciler.Engine;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Observe;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Loop;

/// <summary>
/// Asks for a pass as soon as a front (x-berth.front), or a replica behind one, starts, stops or
/// changes health outside a pass: a restarted front has a new network namespace without rules, a
/// restarted replica may have a new address and is forwarded to only once healthy, a dead or unhealthy
/// one must leave the rules. Until a pass re-programs the front the service does not answer (or not
/// fully). Without this, that would wait for the poll interval.
/// </summary>
/// <remarks>
/// Events during a pass are mostly the pass's own work and are ignored: the pass programs the fronts at
/// its end, from a look at the engine after its last change. (A replica that crashes in the instant
/// between that look and the pass's end waits for the next pass.) The event stream is resumed from where it broke (<c>since</c>), so starts while it was down (an
/// engine restart, which restarts every container) are still seen.
/// </remarks>
public sealed partial class FrontWatcher(IEngineEvents events, string hostIdentity, IPassTrigger trigger, TimeProvider timeProvider, ILogger<FrontWatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Events come in bursts (a restart is die then start; a reboot restarts everything): the pass is
    /// asked for once the burst has been quiet this long, so it sees the restarted container, not the
    /// stopped one (which it would re-create).
    /// </summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    // start: a new namespace or address. die, health_status: a replica that dies or turns unhealthy must
    // leave the rules, one that turns healthy (after a restart, which the pass its start asked for may
    // not have seen yet) must enter them.
    private static readonly string[] WatchedActions = [EngineEventActions.Start, EngineEventActions.Die, EngineEventActions.HealthStatus];

    private readonly object timerLock = new();
    private ITimer? settleTimer;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var since = timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var engineEvent in events.StreamAsync(EngineEventFilter.ManagedContainers(hostIdentity, WatchedActions), since, stoppingToken).ConfigureAwait(false))
                {
                    OnEvent(engineEvent);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever broke the stream (engine restarting, socket gone), the watcher must not take
                // the daemon down with it (an escaping exception stops the host): retry.
                LogStreamBroken(logger, exception.GetBaseException().Message, ReconnectDelay.TotalSeconds);
            }

            // Resume from a little before the break: a start the stream missed is replayed, one seen
            // twice only asks for a pass that is already requested (requests coalesce).
            since = timeProvider.GetUtcNow() - TimeSpan.FromSeconds(1);
            await Task.Delay(ReconnectDelay, timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        lock (timerLock)
        {
            settleTimer?.Dispose();
        }

        base.Dispose();
    }

    /// <summary>Handles each event in order, as the stream delivers it.</summary>
    internal void OnEvent(EngineEvent engineEvent)
    {
        var what = engineEvent switch
        {
            { Action: EngineEventActions.Start } => "started",
            { Action: EngineEventActions.Die } => "stopped",
            { Action: EngineEventActions.HealthStatus, Health: ContainerHealth.Healthy } => "turned healthy",
            { Action: EngineEventActions.HealthStatus, Health: ContainerHealth.Unhealthy } => "turned unhealthy",
            _ => null,
        };
        if (engineEvent.Type != EngineObjectType.Container || what is null || trigger.PassRunning)
        {
            return;
        }

        var isFront = engineEvent.Attribute(BerthLabels.Role) == BerthLabels.FrontRole;
        var behindFront = engineEvent.Attribute(BerthLabels.BehindFront) == "true";
        if (!isFront && !behindFront)
        {
            return;
        }

        LogStartedOutsideAPass(logger, engineEvent.Name ?? engineEvent.ActorId, what);
        lock (timerLock)
        {
            settleTimer ??= timeProvider.CreateTimer(_ => RequestIfIdle(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            settleTimer.Change(Settle, Timeout.InfiniteTimeSpan);
        }
    }

    private void RequestIfIdle()
    {
        // A pass that started meanwhile programs the fronts at its end from a fresh look.
        if (!trigger.PassRunning)
        {
            trigger.Request(PassTrigger.EngineEvent);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Container} {What} outside a pass: a pass re-programs its front now")]
    private static partial void LogStartedOutsideAPass(ILogger logger, string container, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the engine's event stream broke ({Message}); resuming in {Seconds} s")]
    private static partial void LogStreamBroken(ILogger logger, string message, double seconds);
}
