namespace Berth.Daemon.Http;

/// <summary>
/// A token bucket per source address for the webhook endpoints: a forge's bursts of pushes always get
/// through, a flood from one address (forged or not: each request costs reading up to 5 MiB and an HMAC)
/// gets 429 with Retry-After. A pass is only requested after a verified signature anyway; this bounds the work.
/// </summary>
/// <remarks>
/// Behind a reverse proxy every webhook has the proxy's address, so one flood through it delays the real
/// ones too; the poll interval still converges the host (docs/security.md, "Network peers").
/// </remarks>
public sealed class WebhookRateLimiter(TimeProvider time, int burst = WebhookRateLimiter.DefaultBurst, TimeSpan? refillEvery = null)
{
    /// <summary>Webhooks accepted at once from one address after a quiet period.</summary>
    public const int DefaultBurst = 20;

    /// <summary>One more per this interval once a source used its burst.</summary>
    public static readonly TimeSpan DefaultRefillEvery = TimeSpan.FromSeconds(3);

    /// <summary>Sources remembered at once: a scan from many addresses must not grow the daemon's memory.</summary>
    public const int MaxSources = 4096;

    private readonly TimeSpan refillEvery = refillEvery ?? DefaultRefillEvery;
    private readonly Lock gate = new();
    private readonly Dictionary<string, (SyncRateLimiter Bucket, DateTimeOffset LastSeen)> sources = new(StringComparer.Ordinal);

    /// <summary>True and one token of <paramref name="source"/>'s bucket taken; or false with how long until its next one.</summary>
    public bool TryAcquire(string? source, out TimeSpan retryAfter)
    {
        var key = source ?? "unknown";
        var now = time.GetUtcNow();
        SyncRateLimiter bucket;
        lock (gate)
        {
            if (!sources.TryGetValue(key, out var entry))
            {
                if (sources.Count >= MaxSources)
                {
                    Forget(now);
                }

                entry = (new SyncRateLimiter(time, burst, refillEvery), now);
            }

            sources[key] = (entry.Bucket, now);
            bucket = entry.Bucket;
        }

        return bucket.TryAcquire(out retryAfter);
    }

    /// <summary>Drops sources whose bucket is full again (they lose nothing); else the one seen longest ago.</summary>
    private void Forget(DateTimeOffset now)
    {
        var refilled = now - (burst * refillEvery);
        foreach (var idle in sources.Where(source => source.Value.LastSeen <= refilled).Select(source => source.Key).ToList())
        {
            sources.Remove(idle);
        }

        if (sources.Count >= MaxSources)
        {
            sources.Remove(sources.MinBy(source => source.Value.LastSeen).Key);
        }
    }
}
