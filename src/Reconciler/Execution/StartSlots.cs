namespace Berth.Reconciler.Execution;

/// <summary>
/// How many new containers of one pass may be starting at once: a slot is taken before a container is
/// created or started and given back when its health gate decided. On a small host, berth's own burst
/// of starts is what makes health checks time out (measured: 50 services started at once on 2 cores
/// failed 29 of 50 gates with a 1 s health-check timeout, where compose's deploy ended healthy), so the
/// next container starts only when one before it proved itself or failed.
/// </summary>
/// <remarks>
/// Each holder holds one slot at a time and its gate ends by its deadline, so waiting for a slot never
/// deadlocks: a service with more replicas than slots starts the next one as a gate ends. Gates that
/// only wait for an already running dependency (depends_on) start nothing and take no slot.
/// </remarks>
public sealed class StartSlots : IDisposable
{
    private readonly SemaphoreSlim slots;

    /// <param name="limit">At least 1.</param>
    public StartSlots(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        slots = new SemaphoreSlim(limit, limit);
    }

    /// <summary>The default: one container starting per core (Swarm's parallelism per node, from the host's size).</summary>
    public static int DefaultLimit => Math.Max(1, Environment.ProcessorCount);

    public int Limit { get; }

    /// <summary>Waits for a slot; dispose the lease when the container's gate decided.</summary>
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
