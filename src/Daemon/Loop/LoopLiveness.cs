namespace Berth.Daemon.Loop;

/// <summary>Whether the loop is alive, and if not, why (for /healthz and the watchdog).</summary>
public readonly record struct LivenessVerdict(bool Alive, string Reason);

/// <summary>
/// The loop's heartbeat. The loop records a heartbeat while it waits and marks the start and end of each
/// pass; <see cref="Check"/> says whether it is alive. Alive means: idle with a recent heartbeat, or in a
/// pass that has not run longer than <see cref="ReconcileLoopOptions.StuckPassAfter"/>. A dead loop stops
/// the systemd watchdog pings, so systemd restarts the daemon (a hung git fetch cannot be cancelled from
/// inside the process; a restart can).
/// </summary>
public sealed class LoopLiveness
{
    private readonly Lock gate = new();
    private readonly ReconcileLoopOptions options;
    private DateTimeOffset lastHeartbeat;
    private DateTimeOffset? passStartedAt;
    private bool exited;

    public LoopLiveness(ReconcileLoopOptions options, TimeProvider timeProvider)
    {
        this.options = options;
        lastHeartbeat = timeProvider.GetUtcNow();
    }

    /// <summary>Three missed heartbeats and the idle loop counts as wedged.</summary>
    public TimeSpan IdleStaleAfter => options.HeartbeatPeriod * 3;

    public void Heartbeat(DateTimeOffset now)
    {
        lock (gate)
        {
            lastHeartbeat = now;
        }
    }

    public void PassStarted(DateTimeOffset now)
    {
        lock (gate)
        {
            passStartedAt = now;
            lastHeartbeat = now;
        }
    }

    public void PassEnded(DateTimeOffset now)
    {
        lock (gate)
        {
            passStartedAt = null;
            lastHeartbeat = now;
        }
    }

    /// <summary>The loop has returned (the host is stopping, or it failed): never alive again.</summary>
    public void Exited()
    {
        lock (gate)
        {
            exited = true;
        }
    }

    public LivenessVerdict Check(DateTimeOffset now)
    {
        lock (gate)
        {
            if (exited)
            {
                return new(false, "the reconcile loop has exited");
            }

            if (passStartedAt is { } started)
            {
                var running = now - started;
                return running <= options.StuckPassAfter
                    ? new(true, $"pass running for {running.TotalSeconds:F0} s")
                    : new(false, $"pass stuck: running for {running.TotalSeconds:F1} s, limit {options.StuckPassAfter.TotalSeconds:F1} s (reconcile.stuckPassAfter)");
            }

            var silence = now - lastHeartbeat;
            return silence <= IdleStaleAfter
                ? new(true, "idle")
                : new(false, $"loop wedged: no heartbeat for {silence.TotalSeconds:F0} s");
        }
    }
}
