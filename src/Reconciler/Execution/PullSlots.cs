namespace Berth.Reconciler.Execution;

/// <summary>
/// How many image pulls one pass runs at once, across all its parallel units. Pulls of different images
/// share the host's network link and the engine's extraction: unbounded, a deploy of many new images
/// splits the bandwidth so that every pull finishes late instead of the first ones finishing early, and
/// a registry's rate limit sees a burst. The unit bound (<see cref="PlanExecutor.DefaultMaxConcurrentUnits"/>)
/// is sized for creates and starts, not for downloads, hence this separate one.
/// </summary>
/// <remarks>A slot is held for one engine pull only, so waiting for a slot never deadlocks.</remarks>
public sealed class PullSlots : IDisposable
{
    private readonly SemaphoreSlim slots;

    /// <param name="limit">At least 1.</param>
    public PullSlots(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        slots = new SemaphoreSlim(limit, limit);
    }

    /// <summary>The default, 3, like dockerd's own default bound on layer downloads at once (max-concurrent-downloads).</summary>
    public const int DefaultLimit = 3;

    public int Limit { get; }

    /// <summary>Waits for a slot; dispose the lease when the pull it guards returned.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Lease(slots);
    }

    public void Dispose() => slots.Dispose();

    private sealed class Lease(SemaphoreSlim slots) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
