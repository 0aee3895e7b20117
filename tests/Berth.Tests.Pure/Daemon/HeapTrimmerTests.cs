using Berth.Daemon.Loop;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Daemon;

/// <summary>
/// When the daemon gives the GC heap's free memory back (issue #16's RSS goal): after the passes that did
/// real work or grew the heap, never after an idle pass that allocated little (a trim costs tens of
/// milliseconds of CPU, the idle pass's goal is 20).
/// </summary>
public sealed class HeapTrimmerTests
{
    private long committed = 20_000_000;
    private int trims;

    private HeapTrimmer Trimmer() => new(() => committed, () => trims++);

    private static PassRecord Pass(PassOutcome outcome) =>
        new(1, PassTrigger.Timer, DateTimeOffset.UnixEpoch, TimeSpan.Zero, outcome, "abc", "summary", "Reason");

    [Fact]
    public void OnPassCompleted_FirstPassThenIdlePasses_TrimsOnlyAfterTheFirst()
    {
        var trimmer = Trimmer();

        trimmer.OnPassCompleted(Pass(PassOutcome.Converged));
        committed += 1_000_000;
        trimmer.OnPassCompleted(Pass(PassOutcome.Converged));
        trimmer.OnPassCompleted(Pass(PassOutcome.Transient));

        Assert.Equal(1, trims);
    }

    [Fact]
    public void OnPassCompleted_PassThatAppliedChanges_Trims()
    {
        var trimmer = Trimmer();
        trimmer.OnPassCompleted(Pass(PassOutcome.Converged));

        trimmer.OnPassCompleted(Pass(PassOutcome.Changed));

        Assert.Equal(2, trims);
    }

    [Fact]
    public void OnPassCompleted_HeapGrewByTheThresholdSinceTheLastTrim_Trims()
    {
        var trimmer = Trimmer();
        trimmer.OnPassCompleted(Pass(PassOutcome.Converged));

        committed += HeapTrimmer.GrowthThreshold - 1;
        trimmer.OnPassCompleted(Pass(PassOutcome.Converged));
        Assert.Equal(1, trims);

        committed += 1;
        trimmer.OnPassCompleted(Pass(PassOutcome.Converged));
        Assert.Equal(2, trims);
    }
}
