namespace Berth.Daemon.Http;

/// <summary>
/// Rate-limits the warning logged for a rejected webhook: one line per source address per interval,
/// the next one saying how many were not logged in between. Without it every forged request is a
/// journal line, and a flood fills the journal (and rotates out what matters). The counts are in
/// /metrics regardless (berth_webhook_deliveries_total{result="rejected"}).
/// </summary>
public sealed class RejectionLogLimiter(TimeProvider time, TimeSpan? interval = null, int maxSources = RejectionLogLimiter.DefaultMaxSources)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    /// <summary>Sources remembered at once: a flood from many addresses must not grow memory without bound.</summary>
    public const int DefaultMaxSources = 1024;

    /// <summary>Where rejections from sources beyond <see cref="DefaultMaxSources"/> are counted together.</summary>
    public const string OtherSources = "(other sources)";

    private readonly TimeSpan interval = interval ?? DefaultInterval;
    private readonly Lock gate = new();
    private readonly Dictionary<string, SourceWindow> sources = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether to log this rejection, and how many rejections from the same source were suppressed
    /// since the last logged one. <paramref name="loggedSource"/> is the source to name in the line.
    /// </summary>
    public bool ShouldLog(string? source, out string loggedSource, out long suppressedBefore)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            loggedSource = Track(source ?? "unknown", now);
            var window = sources[loggedSource];
            if (window.LoggedAt is { } loggedAt && now - loggedAt < interval)
            {
                window.Suppressed++;
                suppressedBefore = 0;
                return false;
            }

            suppressedBefore = window.Suppressed;
            window.LoggedAt = now;
            window.Suppressed = 0;
            return true;
        }
    }

    private string Track(string source, DateTimeOffset now)
    {
        if (sources.ContainsKey(source))
        {
            return source;
        }

        if (sources.Count >= maxSources)
        {
            // Forget sources quiet for a whole interval with nothing left to report; else count under "other".
            foreach (var (key, _) in sources.Where(entry => entry.Value.Suppressed == 0 && now - entry.Value.LoggedAt >= interval).ToList())
            {
                sources.Remove(key);
            }

            if (sources.Count >= maxSources)
            {
                source = OtherSources;
                if (sources.ContainsKey(source))
                {
                    return source;
                }
            }
        }

        sources[source] = new SourceWindow();
        return source;
    }

    private sealed class SourceWindow
    {
        public DateTimeOffset? LoggedAt { get; set; }

        public long Suppressed { get; set; }
    }
}
