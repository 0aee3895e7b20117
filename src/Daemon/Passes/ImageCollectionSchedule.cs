using Berth.Daemon.Configuration;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Images;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Passes;

/// <summary>
/// The daemon's image garbage collection: at most once per `images.gcInterval` (default daily; 0 off),
/// at the end of a pass that applied a revision, so it runs inside the loop's single flight and never
/// beside a pass that writes the state file. The first one comes one interval after the daemon started:
/// a restart loop must not turn into a collection loop. A failure is logged and waits for the next interval.
/// </summary>
internal sealed partial class ImageCollectionSchedule(
    ImageGarbageCollector collector, ImageSettings settings, TimeProvider timeProvider, ILogger<ImageCollectionSchedule> logger)
{
    private readonly DateTimeOffset started = timeProvider.GetUtcNow();
    private DateTimeOffset? lastRun;

    public async Task RunIfDueAsync(string host, CancellationToken cancellationToken)
    {
        if (settings.GcInterval <= TimeSpan.Zero || timeProvider.GetUtcNow() - (lastRun ?? started) < settings.GcInterval)
        {
            return;
        }

        lastRun = timeProvider.GetUtcNow();
        try
        {
            var result = await collector.CollectAsync(host, dryRun: false, cancellationToken).ConfigureAwait(false);
            foreach (var removed in result.Removed)
            {
                LogRemoved(logger, ImageReference.ShortId(removed.Id), removed.Reference);
            }

            foreach (var (image, error) in result.Failed)
            {
                LogRefused(logger, ImageReference.ShortId(image.Id), image.Reference, error);
            }
        }
        catch (EngineException exception)
        {
            LogFailed(logger, exception.GetBaseException().Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "image garbage collection removed {ImageId} ({Reference})")]
    private static partial void LogRemoved(ILogger logger, string imageId, string reference);

    [LoggerMessage(Level = LogLevel.Warning, Message = "image garbage collection could not remove {ImageId} ({Reference}), skipped: {Error}")]
    private static partial void LogRefused(ILogger logger, string imageId, string reference, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "image garbage collection failed, next try in one interval: {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
