using System.Collections.Immutable;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Git;
using Berth.Reconciler.Health;
using Berth.Reconciler.Metrics;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Metrics;

/// <summary>What an operator's dashboard and alerts rely on, read back from the exported text of a fresh registry.</summary>
public sealed class BerthMetricsTests
{
    private const string Host = "host-a";

    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), replicas: 2);
    private static readonly ServiceSpec Db = Service("shop", "db", Container());
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private readonly CollectorRegistry registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly BerthMetrics metrics;

    public BerthMetricsTests()
    {
        metrics = new BerthMetrics(registry, new FakeTimeProvider(Now));
    }

    private static DesiredState Shop(params ServiceSpec[] services) => Desired(Host, Stack("shop", services));

    private static ApplyResult Result(ApplyOutcome outcome, DesiredState desired, ObservedState observed, ExecutionReport? report = null, string revision = "rev-1", Plan? plan = null) =>
        new(Verdict(outcome), revision, plan ?? new Plan(Host, [], [], []), report) { Observed = observed };

    /// <summary>A verdict with the outcome a test needs (the metrics read only what the verdict says, not how it was decided).</summary>
    private static PassVerdict Verdict(ApplyOutcome outcome) => new(
        outcome switch
        {
            ApplyOutcome.Applied => HistoryResults.Converged,
            ApplyOutcome.UpToDate => HistoryResults.UpToDate,
            ApplyOutcome.SkippedFailedRevision => HistoryResults.HeldBack,
            ApplyOutcome.TransientFailure => HistoryResults.TransientFailure,
            ApplyOutcome.Refused => HistoryResults.Refused,
            _ => HistoryResults.Failed,
        },
        "summary",
        RevisionApplied: outcome is ApplyOutcome.Applied or ApplyOutcome.UpToDate,
        HeldServices: [],
        KeepFailedAt: false);

    private static ExecutionReport Report(params ServiceOutcome[] services) => new([], [.. services]);

    [Fact]
    public async Task NewMetrics_KnownLabelValues_StartAtZero()
    {
        var series = await MetricsText.ScrapeAsync(registry);

        foreach (var result in new[] { "converged", "up_to_date", "failed", "refused", "skipped_failed_revision", "error" })
        {
            Assert.Equal(0, series[$"berth_reconcile_passes_total{{result=\"{result}\"}}"]);
        }

        foreach (var reason in new[] { "invalid", "unsigned", "bad_signature", "failed_before", "unsafe" })
        {
            Assert.Equal(0, series[$"berth_commits_refused_total{{reason=\"{reason}\"}}"]);
        }

        foreach (var result in new[] { "updated", "unchanged", "failed" })
        {
            Assert.Equal(0, series[$"berth_git_fetches_total{{result=\"{result}\"}}"]);
        }

        Assert.Equal(0, series["berth_git_fetch_failures_total{reason=\"authentication_failed\"}"]);
        Assert.Equal(0, series["berth_webhook_deliveries_total{provider=\"gitea\",result=\"rejected\"}"]);
        Assert.Equal(0, series["berth_docker_api_errors_total{operation=\"create_container\"}"]);
        Assert.Equal(0, series["berth_converged"]);
        Assert.Equal(0, series["berth_last_successful_pass_timestamp_seconds"]);
        Assert.Equal(0, series["berth_orphaned_volumes"]);
        Assert.Equal(0, series["berth_reconcile_duration_seconds_count"]);
    }

    [Fact]
    public async Task RecordPass_Converged_ShowsRevisionConvergenceReplicasAndRollout()
    {
        var desired = Shop(Db, Web);
        var report = Report(new ServiceOutcome("shop/web", RolloutResult.Succeeded, "2 replica(s) replaced", null) { Duration = TimeSpan.FromSeconds(3) });

        metrics.RecordPass(desired, Result(ApplyOutcome.Applied, desired, TestObserved.Matching(desired), report, "abc123"), TimeSpan.FromSeconds(4));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_reconcile_passes_total{result=\"converged\"}"]);
        Assert.Equal(4, series["berth_reconcile_duration_seconds_sum"]);
        Assert.Equal(1, series["berth_converged"]);
        Assert.Equal(1, series["berth_applied_revision_info{revision=\"abc123\"}"]);
        Assert.Equal(Now.ToUnixTimeSeconds(), series["berth_last_successful_pass_timestamp_seconds"]);
        Assert.Equal(2, series["berth_service_replicas_desired{stack=\"shop\",service=\"web\"}"]);
        Assert.Equal(2, series["berth_service_replicas_running{stack=\"shop\",service=\"web\"}"]);
        Assert.Equal(1, series["berth_service_healthy{stack=\"shop\",service=\"web\"}"]);
        Assert.Equal(1, series["berth_service_healthy{stack=\"shop\",service=\"db\"}"]);
        Assert.Equal(1, series["berth_rollouts_total{stack=\"shop\",service=\"web\",result=\"succeeded\"}"]);
        Assert.Equal(3, series["berth_rollout_duration_seconds_sum{stack=\"shop\",service=\"web\"}"]);
        // A service without changes has its series, at zero.
        Assert.Equal(0, series["berth_rollouts_total{stack=\"shop\",service=\"db\",result=\"rolled_back\"}"]);
        Assert.Equal(0, series["berth_drift_repairs_total{stack=\"shop\",service=\"db\"}"]);
        Assert.Equal(0, series["berth_health_gate_failures_total{stack=\"shop\",service=\"db\"}"]);
    }

    [Fact]
    public async Task RecordPass_RolledBack_CountsRollbackAndGateFailureAndIsNotConverged()
    {
        var desired = Shop(Web);
        metrics.RecordPass(desired, Result(ApplyOutcome.Applied, desired, TestObserved.Matching(desired), revision: "good"), TimeSpan.FromSeconds(1));
        var evidence = new GateEvidence("shop-web-1-next", "unhealthy", null, "probe says no", "");
        var replace = new ReplaceContainerStep(Web, 1, "shop-web-1", TestObserved.Running(Web, 1), UpdateOrder.StartFirst, "config changed");
        var report = new ExecutionReport(
            [new StepOutcome(replace, StepResult.Failed, "unhealthy", evidence)],
            [new ServiceOutcome("shop/web", RolloutResult.RolledBack, "rolled back", evidence) { Duration = TimeSpan.FromSeconds(12) }]);

        metrics.RecordPass(desired, Result(ApplyOutcome.Failed, desired, TestObserved.Matching(desired), report, "bad"), TimeSpan.FromSeconds(13));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(0, series["berth_converged"]);
        Assert.Equal(1, series["berth_reconcile_passes_total{result=\"failed\"}"]);
        Assert.Equal(1, series["berth_rollouts_total{stack=\"shop\",service=\"web\",result=\"rolled_back\"}"]);
        Assert.Equal(1, series["berth_health_gate_failures_total{stack=\"shop\",service=\"web\"}"]);
        // The host still runs the last good revision.
        Assert.Equal(1, series["berth_applied_revision_info{revision=\"good\"}"]);
        Assert.DoesNotContain(series.Keys, key => key.Contains("revision=\"bad\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RecordPass_RolloutCutShortByTheEngine_CountsAsInterruptedNotFailed()
    {
        var desired = Shop(Web);
        var report = Report(new ServiceOutcome("shop/web", RolloutResult.Failed, "engine unreachable", null) { Failure = FailureKind.Transient });

        metrics.RecordPass(desired, Result(ApplyOutcome.TransientFailure, desired, TestObserved.Matching(desired), report), TimeSpan.FromSeconds(2));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_rollouts_total{stack=\"shop\",service=\"web\",result=\"interrupted\"}"]);
        Assert.Equal(0, series["berth_rollouts_total{stack=\"shop\",service=\"web\",result=\"failed\"}"]);
    }

    [Fact]
    public async Task RecordPass_ServiceLeftTheSpec_AllItsSeriesDisappear()
    {
        var both = Shop(Db, Web);
        var report = Report(new ServiceOutcome("shop/web", RolloutResult.Succeeded, "converged", null));
        metrics.RecordPass(both, Result(ApplyOutcome.Applied, both, TestObserved.Matching(both), report), TimeSpan.FromSeconds(1));
        Assert.Contains(await MetricsText.ScrapeAsync(registry), entry => entry.Key.Contains("service=\"web\"", StringComparison.Ordinal));

        // The pass that removes web reports its removal as a service outcome: it must not bring the series back.
        var dbOnly = Shop(Db);
        metrics.RecordPass(dbOnly, Result(ApplyOutcome.Applied, dbOnly, TestObserved.Matching(dbOnly), report, "rev-2"), TimeSpan.FromSeconds(1));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.DoesNotContain(series.Keys, key => key.Contains("service=\"web\"", StringComparison.Ordinal));
        Assert.Equal(1, series["berth_service_replicas_desired{stack=\"shop\",service=\"db\"}"]);
    }

    [Fact]
    public async Task SetAppliedRevision_NewRevision_OnlyTheNewOneIsExported()
    {
        metrics.SetAppliedRevision("rev-1");
        metrics.SetAppliedRevision("rev-2");

        var revisions = (await MetricsText.ScrapeAsync(registry)).Where(entry => entry.Key.StartsWith("berth_applied_revision_info", StringComparison.Ordinal)).ToList();
        var only = Assert.Single(revisions);
        Assert.Equal("berth_applied_revision_info{revision=\"rev-2\"}", only.Key);
        Assert.Equal(1, only.Value);
    }

    [Fact]
    public async Task RecordPass_SameFailedRevisionOnEveryPoll_CountsOneRefusedCommit()
    {
        var desired = Shop(Web);
        var skipped = Result(ApplyOutcome.SkippedFailedRevision, desired, TestObserved.Matching(desired), revision: "bad");

        metrics.RecordPass(desired, skipped, TimeSpan.FromMilliseconds(50));
        metrics.RecordPass(desired, skipped, TimeSpan.FromMilliseconds(50));
        metrics.RecordPass(desired, skipped with { Revision = "bad-again" }, TimeSpan.FromMilliseconds(50));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(3, series["berth_reconcile_passes_total{result=\"skipped_failed_revision\"}"]);
        Assert.Equal(2, series["berth_commits_refused_total{reason=\"failed_before\"}"]);
        Assert.Equal(0, series["berth_converged"]);
    }

    [Fact]
    public async Task RecordSignatureCheck_UnsignedAndBadSignature_CountedByReason()
    {
        metrics.RecordSignatureCheck(new SignatureCheck("sha-1", SignatureStatus.Unsigned, null, "not signed"));
        metrics.RecordSignatureCheck(new SignatureCheck("sha-2", SignatureStatus.Invalid, null, "unknown key"));
        metrics.RecordSignatureCheck(new SignatureCheck("sha-3", SignatureStatus.Verified, "alice", "ok"));
        metrics.RecordCommitRefused(CommitRefusalReason.Invalid, "sha-4");

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_commits_refused_total{reason=\"unsigned\"}"]);
        Assert.Equal(1, series["berth_commits_refused_total{reason=\"bad_signature\"}"]);
        Assert.Equal(1, series["berth_commits_refused_total{reason=\"invalid\"}"]);
    }

    [Fact]
    public async Task RecordPass_ContainerStoppedOutsideBerthAndRestarted_CountsDriftRepair()
    {
        var desired = Shop(Db);
        var stopped = TestObserved.Running(Db, 1) with { State = ContainerRunState.Exited, ExitCode = 137 };
        var plan = Planner.Create(desired, TestObserved.State([stopped]), TestObserved.Applied(Host, Db));
        var start = Assert.Single(plan.Steps);
        Assert.True(start.RepairsDrift);
        var report = new ExecutionReport([new StepOutcome(start, StepResult.Succeeded, "healthy")], [new ServiceOutcome("shop/db", RolloutResult.Succeeded, "converged", null)]);

        metrics.RecordPass(desired, Result(ApplyOutcome.Applied, desired, TestObserved.Matching(desired), report, plan: plan), TimeSpan.FromSeconds(1));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_drift_repairs_total{stack=\"shop\",service=\"db\"}"]);
    }

    [Fact]
    public async Task RecordPass_DriftLeftInWarnOnlyMode_IsNotConverged()
    {
        var desired = Shop(Db);
        var stopped = TestObserved.Running(Db, 1) with { State = ContainerRunState.Exited, ExitCode = 0 };
        var plan = Planner.Create(desired, TestObserved.State([stopped]), TestObserved.Applied(Host, Db), DriftMode.Warn);

        metrics.RecordPass(desired, Result(ApplyOutcome.UpToDate, desired, TestObserved.State([stopped]), plan: plan), TimeSpan.FromSeconds(1));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(0, series["berth_converged"]);
        Assert.Equal(0, series["berth_service_replicas_running{stack=\"shop\",service=\"db\"}"]);
        Assert.Equal(0, series["berth_service_healthy{stack=\"shop\",service=\"db\"}"]);
    }

    [Fact]
    public async Task RecordPass_VolumeLeftTheSpec_CountsOrphanedVolume()
    {
        var desired = Shop(Db);
        var observed = TestObserved.State([TestObserved.Running(Db, 1)], volumes: [new ObservedVolume("shop_old-data", "shop", "old-data")]);
        var plan = Planner.Create(desired, observed, TestObserved.Applied(Host, Db));

        metrics.RecordPass(desired, Result(ApplyOutcome.UpToDate, desired, observed, plan: plan), TimeSpan.FromSeconds(1));

        Assert.Equal(1, (await MetricsText.ScrapeAsync(registry))["berth_orphaned_volumes"]);
    }

    [Fact]
    public async Task RecordFetch_Timeout_CountsFailureWithReasonAndDuration()
    {
        metrics.RecordFetch(new FetchResult { PreviousTip = "a", Tip = "b", Fetched = true, Duration = TimeSpan.FromSeconds(2) });
        metrics.RecordFetch(new FetchResult { PreviousTip = "b", Tip = "b", Duration = TimeSpan.FromSeconds(1) });
        metrics.RecordFetch(new FetchResult { PreviousTip = "b", Tip = "b", Error = new GitError(GitFailureReason.Timeout, "timed out"), Duration = TimeSpan.FromSeconds(60) });

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_git_fetches_total{result=\"updated\"}"]);
        Assert.Equal(1, series["berth_git_fetches_total{result=\"unchanged\"}"]);
        Assert.Equal(1, series["berth_git_fetches_total{result=\"failed\"}"]);
        Assert.Equal(1, series["berth_git_fetch_failures_total{reason=\"timeout\"}"]);
        Assert.Equal(63, series["berth_git_fetch_duration_seconds_sum"]);
    }

    [Fact]
    public async Task RecordGitRevision_UnsignedTip_CountsFetchAndRefusal()
    {
        var fetch = new FetchResult { Tip = "sha-1", Fetched = true, Duration = TimeSpan.FromSeconds(1) };
        var unsigned = new SignatureCheck("sha-1", SignatureStatus.Unsigned, null, "not signed");

        metrics.RecordGitRevision(new GitRevision(fetch, unsigned, null, unsigned.ToError()));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_git_fetches_total{result=\"updated\"}"]);
        Assert.Equal(1, series["berth_commits_refused_total{reason=\"unsigned\"}"]);
    }

    [Fact]
    public async Task RecordWebhook_ValueOutsideTheKnownSet_CountedAsOtherNotAsNewLabel()
    {
        metrics.RecordWebhook("github", "triggered");
        metrics.RecordWebhook("../../etc/passwd", "triggered");

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_webhook_deliveries_total{provider=\"github\",result=\"triggered\"}"]);
        Assert.Equal(1, series["berth_webhook_deliveries_total{provider=\"other\",result=\"triggered\"}"]);
        Assert.DoesNotContain(series.Keys, key => key.Contains("passwd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RestoreFrom_PersistedState_ShowsRevisionAndLastSuccessBeforeTheFirstPass()
    {
        var appliedAt = Now.AddMinutes(-5);
        metrics.RestoreFrom(AppliedState.Empty(Host) with { LastAppliedRevision = "abc", LastAppliedAt = appliedAt });

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_applied_revision_info{revision=\"abc\"}"]);
        Assert.Equal(appliedAt.ToUnixTimeSeconds(), series["berth_last_successful_pass_timestamp_seconds"]);
    }

    [Fact]
    public async Task RestoreFrom_LastAttemptConverged_ConvergedIsOne()
    {
        metrics.RestoreFrom(AppliedState.Empty(Host).WithHistory(new HistoryEntry(Now, "abc", HistoryResults.UpToDate, "up to date")));

        Assert.Equal(1, (await MetricsText.ScrapeAsync(registry))["berth_converged"]);
    }

    [Fact]
    public async Task RestoreFrom_LastAttemptFailed_ConvergedIsZero()
    {
        metrics.RestoreFrom(AppliedState.Empty(Host)
            .WithHistory(new HistoryEntry(Now.AddMinutes(-1), "abc", HistoryResults.Converged, "converged"))
            .WithHistory(new HistoryEntry(Now, "def", HistoryResults.Failed, "shop/web: rolled back")));

        Assert.Equal(0, (await MetricsText.ScrapeAsync(registry))["berth_converged"]);
    }

    [Fact]
    public async Task RefreshServiceState_AContainerDiedDuringAGitOutage_ShowsUnhealthy()
    {
        var desired = Shop(Db, Web);
        metrics.RecordPass(desired, Result(ApplyOutcome.UpToDate, desired, TestObserved.Matching(desired)), TimeSpan.FromSeconds(1));

        // The next pass cannot fetch: it measures the engine against the services last applied.
        var lastApplied = TestObserved.Applied(Host, Db, Web).LastAppliedServices();
        metrics.RefreshServiceState(lastApplied, TestObserved.State([TestObserved.Running(Db, 1), TestObserved.Running(Web, 1)]));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_service_replicas_running{stack=\"shop\",service=\"web\"}"]);
        Assert.Equal(0, series["berth_service_healthy{stack=\"shop\",service=\"web\"}"]);
        Assert.Equal(1, series["berth_service_healthy{stack=\"shop\",service=\"db\"}"]);
        // The host no longer matches even what was applied: not converged, whatever the source does.
        Assert.Equal(0, series["berth_converged"]);
    }

    [Fact]
    public async Task RefreshServiceState_AllRunningDuringAGitOutage_LeavesConvergenceAsItWas()
    {
        var desired = Shop(Db, Web);
        metrics.RecordPass(desired, Result(ApplyOutcome.UpToDate, desired, TestObserved.Matching(desired)), TimeSpan.FromSeconds(1));

        metrics.RefreshServiceState(TestObserved.Applied(Host, Db, Web).LastAppliedServices(), TestObserved.Matching(desired));

        Assert.Equal(1, (await MetricsText.ScrapeAsync(registry))["berth_converged"]);
    }

    [Fact]
    public async Task RefreshServiceState_AfterARestart_CreatesTheSeriesAndRemovesNone()
    {
        // Restarted while the tip is invalid: no pass has loaded a desired state, the gauges must still be there.
        metrics.RefreshServiceState(TestObserved.Applied(Host, Web).LastAppliedServices(), TestObserved.State([TestObserved.Running(Web, 1), TestObserved.Running(Web, 2)]));
        metrics.RefreshServiceState(TestObserved.Applied(Host, Db).LastAppliedServices(), TestObserved.State([TestObserved.Running(Db, 1)]));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(2, series["berth_service_replicas_desired{stack=\"shop\",service=\"web\"}"]);
        Assert.Equal(1, series["berth_service_healthy{stack=\"shop\",service=\"web\"}"]);
        Assert.Equal(1, series["berth_service_healthy{stack=\"shop\",service=\"db\"}"]);
        Assert.Equal(0, series["berth_rollouts_total{stack=\"shop\",service=\"db\",result=\"rolled_back\"}"]);
    }

    [Fact]
    public async Task RecordPassError_LeavesConvergenceAsItWas()
    {
        var desired = Shop(Db);
        metrics.RecordPass(desired, Result(ApplyOutcome.UpToDate, desired, TestObserved.Matching(desired)), TimeSpan.FromSeconds(1));

        metrics.RecordPassError(TimeSpan.FromSeconds(30));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series["berth_reconcile_passes_total{result=\"error\"}"]);
        Assert.Equal(1, series["berth_converged"]);
    }

    [Fact]
    public async Task DefaultRegistry_OnLinux_ExportsProcessMemoryAndCpu()
    {
        // The daemon serves the default registry; prometheus-net adds these to it (no process_resident_memory_bytes:
        // its working set is the resident set on Linux).
        var series = await MetricsText.ScrapeAsync(Prometheus.Metrics.DefaultRegistry);

        Assert.True(series["process_working_set_bytes"] > 0);
        Assert.Contains("process_cpu_seconds_total", series.Keys);
    }

    [Fact]
    public async Task RecordPass_ImageChanged_OneImageInfoSeriesPerService_TheOldOneRemoved()
    {
        const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var desired = Shop(Db);
        var observed = TestObserved.Matching(desired) with
        {
            Images = [new Berth.Reconciler.Images.ObservedImage(TestObserved.ImageId, [Image], [$"berth-test/busybox@{Digest}"])],
        };
        metrics.RecordPass(desired, Result(ApplyOutcome.Applied, desired, observed), TimeSpan.FromSeconds(1));

        var series = await MetricsText.ScrapeAsync(registry);
        Assert.Equal(1, series[$"berth_service_image_info{{stack=\"shop\",service=\"db\",image=\"{Image}\",image_id=\"{TestObserved.ImageId}\",digest=\"{Digest}\"}}"]);

        // The tag moved and the service was replaced: the series follows, the old one is gone.
        var moved = TestObserved.Matching(desired) with
        {
            Containers = [.. TestObserved.Matching(desired).Containers.Select(container => container with { ImageId = "sha256:newer" })],
            Images = [new Berth.Reconciler.Images.ObservedImage("sha256:newer", [Image], [])],
        };
        metrics.RecordPass(desired, Result(ApplyOutcome.Applied, desired, moved), TimeSpan.FromSeconds(1));

        var after = await MetricsText.ScrapeAsync(registry);
        var imageSeries = after.Keys.Where(key => key.StartsWith("berth_service_image_info", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"berth_service_image_info{{stack=\"shop\",service=\"db\",image=\"{Image}\",image_id=\"sha256:newer\",digest=\"\"}}"], imageSeries);
    }
}
