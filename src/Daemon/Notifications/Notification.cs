namespace Berth.Daemon.Notifications;

/// <summary>The events worth a person's attention. Config names: rolledBack, commitRefused, stalled, recovered, driftRepaired, orphanedVolume.</summary>
public enum NotificationEvent
{
    /// <summary>A rollout failed its health gate and was rolled back; the old version runs.</summary>
    RolledBack,
    /// <summary>The commit was refused before anything ran: invalid, unsigned, against the policy, unsafe.</summary>
    CommitRefused,
    /// <summary>The host cannot converge without a person (apply failed, engine refused, revision held back).</summary>
    Stalled,
    /// <summary>The host converged again after one of the failures above.</summary>
    Recovered,
    /// <summary>A container that differed from the spec (changed or removed by hand) was put back.</summary>
    DriftRepaired,
    /// <summary>A named volume left the spec and is kept (berth never removes data implicitly).</summary>
    OrphanedVolume,
}

/// <summary>How a sink should present a notification.</summary>
public enum NotificationSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>One notification, as every sink receives it.</summary>
/// <param name="Host">The host it happened on.</param>
/// <param name="Revision">The commit, when there is one.</param>
/// <param name="Title">A short headline ("web-1: rolled back abc123def456").</param>
/// <param name="Message">One line: the pass's summary or what was repaired. Never contains secrets (it comes from the pass's summary, which is masked).</param>
/// <param name="DedupKey">
/// Identical failures share a key and are sent once per repeat interval: the event, the revision and
/// the reason; not the message, which may carry times.
/// </param>
public sealed record Notification(
    NotificationEvent Event,
    NotificationSeverity Severity,
    string Host,
    string? Revision,
    string Title,
    string Message,
    string DedupKey,
    DateTimeOffset At)
{
    /// <summary>The config and JSON name of an event: camelCase ("rolledBack").</summary>
    public static string EventName(NotificationEvent notificationEvent)
    {
        var name = notificationEvent.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    public string EventName() => EventName(Event);
}
