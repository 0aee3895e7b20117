using Berth.Reconciler.Execution;
using Berth.Reconciler.Metrics;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Reconciler.Waves;
using Berth.Tests.Metrics;
using Berth.Tests.Shared;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Waves;

/// <summary>What a later wave's gate reads from an earlier host: since when its commit runs healthy, and which commit failed.</summary>
public sealed class WaveMetricsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly CollectorRegistry registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly FakeTimeProvider clock = new(Start);
    private readonly BerthMetrics metrics;
    private readonly DesiredState desired = Desired("host-a", Stack("shop", [Service("shop", "web", WebContainer())]));

    public WaveMetricsTests() => metrics = new BerthMetrics(registry, clock);

    private void Pass(ApplyOutcome outcome, string revision, bool held = false) =>
        metrics.RecordPass(desired, new ApplyResult(
            new PassVerdict(outcome is ApplyOutcome.Applied ? HistoryResults.Converged : outcome is ApplyOutcome.UpToDate ? HistoryResults.UpToDate : HistoryResults.Failed,
                "summary", outcome is ApplyOutcome.Applied or ApplyOutcome.UpToDate, held ? ["shop/web"] : [], false),
            revision, new Plan("host-a", [], [], []), new ExecutionReport([], [])) { Observed = TestObserved.Matching(desired) }, TimeSpan.FromSeconds(1));

    [Fact]
    public async Task HealthySince_KeepsTheStartOfAnUnbrokenHealthyRun()
    {
        Pass(ApplyOutcome.Applied, "aaaa");
        clock.Advance(TimeSpan.FromMinutes(3));
        Pass(ApplyOutcome.UpToDate, "aaaa");

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(Start.ToUnixTimeSeconds(), series["berth_revision_healthy_since_timestamp_seconds{revision=\"aaaa\"}"]);
    }

    [Fact]
    public async Task HealthySince_ABreakRemovesItAndTheNextHealthyPassStartsOver()
    {
        Pass(ApplyOutcome.Applied, "aaaa");
        metrics.RefreshServiceState(desired, TestObserved.State([]));
        var broken = await MetricsText.ScrapeAsync(registry);
        Assert.DoesNotContain(broken.Keys, key => key.StartsWith("berth_revision_healthy_since", StringComparison.Ordinal));

        clock.Advance(TimeSpan.FromMinutes(1));
        Pass(ApplyOutcome.UpToDate, "aaaa");
        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(Start.AddMinutes(1).ToUnixTimeSeconds(), series["berth_revision_healthy_since_timestamp_seconds{revision=\"aaaa\"}"]);
    }

    [Fact]
    public async Task RolledBackRevision_IsTheFailedRevisionAndTheAppliedOneStaysHealthyOnlyWhenItRuns()
    {
        Pass(ApplyOutcome.Applied, "aaaa");
        Pass(ApplyOutcome.Failed, "bbbb", held: true);

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_failed_revision_info{revision=\"bbbb\"}"]);
        Assert.DoesNotContain("berth_revision_healthy_since_timestamp_seconds{revision=\"bbbb\"}", series.Keys);
    }

    [Fact]
    public async Task SetWave_OneHeldReasonAtATime()
    {
        var fresh = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(0, fresh["berth_wave"]);
        Assert.Equal(0, fresh["berth_wave_held{reason=\"source_unavailable\"}"]);

        metrics.SetWave(2, WaveHoldReason.Soaking);
        var held = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(2, held["berth_wave"]);
        Assert.Equal(1, held["berth_wave_held{reason=\"soaking\"}"]);
        Assert.Equal(0, held["berth_wave_held{reason=\"waiting\"}"]);

        metrics.SetWave(2, null);
        var go = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(0, go["berth_wave_held{reason=\"soaking\"}"]);
    }
}
