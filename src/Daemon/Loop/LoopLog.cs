using Berth.Reconciler.Loop;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Loop;

/// <summary>The loop's log lines. One line per pass: number, trigger, outcome, revision, duration, summary.</summary>
internal static partial class LoopLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Pass {PassNumber} ({Trigger}): {Outcome} at revision {Revision} in {DurationMs} ms{Observation}: {Summary}")]
    public static partial void PassSucceeded(ILogger logger, long passNumber, PassTrigger trigger, string outcome, string revision, long durationMs, string observation, string summary);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning,
        Message = "Pass {PassNumber} ({Trigger}): {Outcome} ({Reason}) at revision {Revision} in {DurationMs} ms{Observation}: {Summary}")]
    public static partial void PassNotSucceeded(ILogger logger, long passNumber, PassTrigger trigger, string outcome, string reason, string revision, long durationMs, string observation, string summary);

    /// <summary>The part of a pass's line that says where it observed from and whether it loaded the commit: " (observed: cache; commit: kept)"; empty when the pass said neither.</summary>
    public static string Observation(string? observation, string? commitLoad = null)
    {
        var parts = new[] { observation is null ? null : $"observed: {observation}", commitLoad is null ? null : $"commit: {commitLoad}" }.OfType<string>().ToList();
        return parts.Count == 0 ? "" : $" ({string.Join("; ", parts)})";
    }

    [LoggerMessage(EventId = 102, Level = LogLevel.Error,
        Message = "Pass {PassNumber} ({Trigger}) threw; counted as a transient failure, the loop goes on")]
    public static partial void PassThrew(ILogger logger, long passNumber, PassTrigger trigger, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information,
        Message = "Next pass in {DelaySeconds:F1} s ({Why})")]
    public static partial void NextPassScheduled(ILogger logger, double delaySeconds, string why);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning,
        Message = "A pass-completed listener ({Listener}) threw; ignored")]
    public static partial void ListenerThrew(ILogger logger, string listener, Exception exception);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information,
        Message = "Reconcile loop stopped")]
    public static partial void LoopStopped(ILogger logger);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning,
        Message = "Pass {PassNumber} did not finish within the shutdown timeout ({TimeoutSeconds} s, reconcile.shutdownTimeout); exiting without it, the next start picks up from what runs")]
    public static partial void PassAbandoned(ILogger logger, long passNumber, double timeoutSeconds);

    [LoggerMessage(EventId = 106, Level = LogLevel.Critical,
        Message = "Reconcile loop failed; the watchdog and /healthz now report it dead")]
    public static partial void LoopFailed(ILogger logger, Exception exception);
}
