namespace Berth.Reconciler.Execution;

/// <summary>
/// A bound on one kind of engine call across a pass's parallel units (<see cref="StartSlots"/>,
/// <see cref="PullSlots"/>): a slot is held for the engine calls it guards only, never while waiting on
/// another slot, so waiting for one never deadlocks.
/// </summary>
public abstract class CallSlots : IDisposable
{
    private readonly SemaphoreSlim slots;

    /// <param name="limit">At least 1.</param>
    protected CallSlots(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        slots = new SemaphoreSlim(limit, limit);
    }

    public int Limit { get; }

    /// <summary>Waits for a slot; dispose the lease when the engine call it guards returned.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Lease(slots);
    }

    public void Dispose()
    {
        slots.Dispose();
        GC.SuppressFinalize(this);
    }

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
