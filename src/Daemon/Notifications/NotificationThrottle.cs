namespace Berth.Daemon.Notifications;

/// <summary>
/// Decides what is sent (pure, on an injected clock): a failure the host keeps reporting pass after
/// pass (the same event, commit and reason) is sent once per <c>repeatInterval</c>, not once per pass;
/// a recovery is always sent, and it forgets the failures, so the next one is news again at once.
/// </summary>
public sealed class NotificationThrottle(TimeSpan repeatInterval)
{
    private readonly Dictionary<string, DateTimeOffset> lastSent = new(StringComparer.Ordinal);

    public TimeSpan RepeatInterval => repeatInterval;

    public bool ShouldSend(Notification notification)
    {
        if (notification.Event == NotificationEvent.Recovered)
        {
            lastSent.Clear();
            return true;
        }

        if (lastSent.TryGetValue(notification.DedupKey, out var sentAt) && notification.At - sentAt < repeatInterval)
        {
            return false;
        }

        lastSent[notification.DedupKey] = notification.At;
        return true;
    }
}
