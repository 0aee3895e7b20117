namespace Berth.Daemon.Loop;

/// <summary>
/// Scheduling of the reconcile loop (config section <c>reconcile:</c>). Defaults are chosen for a host
/// that polls a git server: frequent enough to notice a commit within a minute or two without webhooks,
/// gentle enough on the server when a fleet of hosts polls it.
/// </summary>
public sealed record ReconcileLoopOptions
{
    /// <summary>Time between passes when nothing triggers one. Default 60 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A random delay in [0, Jitter] added to every interval, so a fleet does not poll in lockstep. Default 10 s.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Delay before the retry after the first failed pass; doubles on each further failure. Default 5 s.</summary>
    public TimeSpan RetryInitialDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound of the retry delay. Default 5 min.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A pass running longer than this counts as stuck: <c>/healthz</c> answers 503 and the systemd
    /// watchdog pings stop, so systemd restarts the daemon. Must exceed the longest legitimate rollout. Default 30 min.
    /// </summary>
    public TimeSpan StuckPassAfter { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// On SIGTERM, how long an in-flight pass may take to finish its current step before the process
    /// exits anyway. Keep it below systemd's TimeoutStopSec (default 90 s). Default 30 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Containers a pass creates or starts at once (engine calls), so that berth's own
    /// burst of starts does not make health checks time out. Null (default): the core count.
    /// </summary>
    public int? MaxConcurrentStarts { get; init; }

    /// <summary>Image pulls a pass runs at once, across its parallel units. Null (default): 3.</summary>
    public int? MaxConcurrentPulls { get; init; }

    /// <summary>
    /// The daemon's informer keeps the last observation while the engine's events say nothing changed;
    /// a snapshot this old is listed again anyway (events the engine dropped). Zero: every pass lists
    /// the engine. Default 10 min (<see cref="Berth.Reconciler.Observe.ObservationCache.DefaultResyncInterval"/>).
    /// </summary>
    public TimeSpan ResyncInterval { get; init; } = Berth.Reconciler.Observe.ObservationCache.DefaultResyncInterval;

    /// <summary>
    /// How often the idle loop records a heartbeat while it waits. Not configurable: it only bounds how
    /// fast a wedged loop is noticed (after three missed heartbeats).
    /// </summary>
    public TimeSpan HeartbeatPeriod { get; init; } = TimeSpan.FromSeconds(5);
}
