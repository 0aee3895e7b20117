namespace Berth.Reconciler.Execution;

/// <summary>
/// How many containers one pass creates and starts at once: a slot is held while the engine creates a
/// container and while it starts it (a restart: stops and starts it), not while its health gate waits.
/// On a small host, berth's own burst of creates and starts is what makes health checks time out
/// (measured: 50 services started at once on 2 cores failed 29 of 50 gates with a 1 s health-check
/// timeout, where compose's deploy ended healthy); the gates of first deploys wait out such an
/// "unhealthy" (<see cref="Health.HealthGate"/>, nothingToRollBackTo).
/// </summary>
/// <remarks>
/// Not held through the gate: on Docker 20.10 the first probe runs one interval after the start, so a
/// slot held until "healthy" turned a cold deploy of 30 services with 2 slots and a 10 s interval into
/// 15 waves of at least 10 s each (measured: 3.5 minutes).
/// </remarks>
public sealed class StartSlots(int limit) : CallSlots(limit)
{
    /// <summary>The default: one container being created or started per core.</summary>
    public static int DefaultLimit => Math.Max(1, Environment.ProcessorCount);
}
