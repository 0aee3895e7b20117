using System.Globalization;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Loop;
using Docker.DotNet;
using Docker.DotNet.Models;
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
public sealed partial class FrontWatcher(IDockerClient client, string hostIdentity, IPassTrigger trigger, TimeProvider timeProvider, ILogger<FrontWatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Events come in bursts (a restart is die then start; a reboot restarts everything): the pass is
    /// asked for once the burst has been quiet this long, so it sees the restarted container, not the
    /// stopped one (which it would re-create).
    /// </summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly object timerLock = new();
    private ITimer? settleTimer;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var since = timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var parameters = new ContainerEventsParameters
                {
                    Since = since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                    Filters = new Dictionary<string, IDictionary<string, bool>>
                    {
                        ["type"] = new Dictionary<string, bool> { ["container"] = true },
                        // start: a new namespace or address. die, health_status: a replica that dies or
                        // turns unhealthy must leave the rules, one that turns healthy (after a restart,
                        // which the pass its start asked for may not have seen yet) must enter them.
                        ["event"] = new Dictionary<string, bool> { ["start"] = true, ["die"] = true, ["health_status"] = true },
                        ["label"] = new Dictionary<string, bool>
                        {
                            [$"{BerthLabels.ManagedBy}={BerthLabels.ManagedByValue}"] = true,
                            [$"{BerthLabels.Host}={hostIdentity}"] = true,
                        },
                    },
                };
                await client.System.MonitorEventsAsync(parameters, new SynchronousProgress(OnStarted), stoppingToken).ConfigureAwait(false);
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

    private void OnStarted(Message message)
    {
        var attributes = message.Actor?.Attributes;
        var relevant = message.Action is "start" or "die" or "health_status: healthy" or "health_status: unhealthy";
        if (attributes is null || !relevant || trigger.PassRunning)
        {
            return;
        }

        var isFront = attributes.TryGetValue(BerthLabels.Role, out var role) && role == BerthLabels.FrontRole;
        var behindFront = attributes.TryGetValue(BerthLabels.BehindFront, out var behind) && behind == "true";
        if (!isFront && !behindFront)
        {
            return;
        }

        attributes.TryGetValue("name", out var name);
        LogStartedOutsideAPass(logger, name ?? message.Actor!.ID, message.Action switch
        {
            "start" => "started",
            "die" => "stopped",
            _ => "turned " + message.Action["health_status: ".Length..],
        });
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

    /// <summary>Handles each event on the stream's own thread, in order (Progress&lt;T&gt; would post them).</summary>
    private sealed class SynchronousProgress(Action<Message> handle) : IProgress<Message>
    {
        public void Report(Message value) => handle(value);
    }
}
