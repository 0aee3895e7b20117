using Berth.Reconciler.Loop;

namespace Berth.Daemon.Loop;

/// <summary>
/// Gives the GC heap's free memory back to the system after the passes that leave most of it: the first
/// (configuration, git mirror, the first observation), one that applied changes (a rollout's gates,
/// events and reports), and any after which the heap has grown by <see cref="GrowthThreshold"/> since
/// the last time. An idle pass that allocates little costs nothing here.
/// </summary>
/// <remarks>
/// Why (issue #16, docs/benchmarks.md "The daemon's memory under Native AOT"): of the AOT daemon's 64 MiB,
/// 49 are fixed (the binary's pages, the runtime's type data, libraries) and the GC heap holds 14 MiB of
/// which only about 5 are live. No runtime setting shrank it (gen0 budgets, conserve-memory, a hard limit,
/// regions; a forced compacting collection keeps the memory committed): only an aggressive collection
/// decommits, and it brought the daemon to 55 MiB. It costs tens of milliseconds, too much for every idle
/// pass (the goal is 20 ms of CPU), not for a pass that did real work.
/// </remarks>
internal sealed class HeapTrimmer(Func<long>? committedBytes = null, Action? collect = null) : IPassCompletedListener
{
    /// <summary>Growth of the committed heap since the last trim that earns another.</summary>
    public const long GrowthThreshold = 4 * 1024 * 1024;

    private readonly Func<long> committed = committedBytes ?? (() => GC.GetGCMemoryInfo().TotalCommittedBytes);
    private readonly Action trim = collect ?? (() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));
    private long committedAfterTrim = -1;

    public void OnPassCompleted(PassRecord pass)
    {
        var first = committedAfterTrim < 0;
        if (first || pass.Outcome == PassOutcome.Changed || committed() - committedAfterTrim >= GrowthThreshold)
        {
            trim();
            committedAfterTrim = committed();
        }
    }
}
