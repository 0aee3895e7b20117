using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Loop;

/// <summary>
/// Feeds the engine's event stream into the passes' <see cref="ObservationCache"/> for the daemon's
/// life, so that an idle pass asks the engine nothing (docs/reconcile.md, "The daemon's informer").
/// </summary>
/// <remarks>
/// Registered before the reconcile loop: the host starts it first, and it marks the stream up before its
/// request is made, so the first pass's list already counts as listed after the subscription. Were it
/// otherwise, that list would simply not be kept (the cache keeps only lists made while the stream was up).
/// </remarks>
public sealed partial class ObservationInformer(ObservationCache cache, IEngineEvents events, ILogger<ObservationInformer> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        cache.RunAsync(events, broke => LogStreamBroken(logger, broke?.GetBaseException().Message ?? "the engine closed it", ObservationCache.ReconnectDelay.TotalSeconds), stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the informer's event stream broke ({Message}): passes list the engine until it is back; resubscribing in {Seconds} s")]
    private static partial void LogStreamBroken(ILogger logger, string message, double seconds);
}
