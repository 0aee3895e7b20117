using Prometheus;

namespace Berth.Daemon.Loop;

/// <summary>The loop's own counters; the metrics issue adds the rest (per-service, durations).</summary>
internal static class LoopMetrics
{
    public static readonly Counter Passes = Metrics.CreateCounter(
        "berth_reconcile_passes_total", "Reconcile passes completed, by outcome.", "outcome");

    public static readonly Counter PassExceptions = Metrics.CreateCounter(
        "berth_reconcile_pass_exceptions_total", "Reconcile passes that threw an exception (counted as failed).");
}
