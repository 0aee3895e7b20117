namespace Berth.Daemon.Http;

/// <summary>
/// A token bucket for `POST /sync`: a few syncs in a row always work (a person retrying, a deploy script),
/// a loop calling it does not make the daemon run passes back to back, around the failure backoff.
/// Webhooks and the interval are not limited here: they have their own pacing.
/// </summary>
public sealed class SyncRateLimiter(TimeProvider time, int burst = SyncRateLimiter.DefaultBurst, TimeSpan? refillEvery = null)
{
    /// <summary>Syncs accepted at once after a quiet period.</summary>
    public const int DefaultBurst = 5;

    /// <summary>One more sync per this interval once the burst is used up.</summary>
    public static readonly TimeSpan DefaultRefillEvery = TimeSpan.FromSeconds(10);

    private readonly TimeSpan refillEvery = refillEvery ?? DefaultRefillEvery;
    private readonly Lock gate = new();
    private double tokens = burst;
    private DateTimeOffset? lastRefill;

    /// <summary>True and one token taken; or false with how long until the next one.</summary>
    public bool TryAcquire(out TimeSpan retryAfter)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (lastRefill is { } last)
            {
                tokens = Math.Min(burst, tokens + ((now - last) / refillEvery));
            }

            lastRefill = now;
            if (tokens >= 1)
            {
                tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = (1 - tokens) * refillEvery;
            return false;
        }
    }
}
