using Berth.Reconciler.Execution;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.State;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// The verdict on a pass, case by case: the one mapping the CLI, the daemon's status, the metrics and the
/// state file all read (with the engine: HostReconcilerOutcomeTests and Berth.Tests.Docker).
/// </summary>
public sealed class PassVerdictTests
{
    private const string Revision = "rev-2";
    private static readonly DateTimeOffset FailedAt = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    private static readonly Plan NoChanges = new("h", [], [], []);
    private static readonly Plan TwoChanges = new("h", [new PullImageStep("img:2", "missing"), new PullImageStep("img:3", "missing")], [], []);
    private static readonly ExecutionReport Nothing = new([], []);

    private static ExecutionReport Report(params ServiceOutcome[] services) => new([], [.. services]);

    private static ServiceOutcome Succeeded(string service) => new(service, RolloutResult.Succeeded, "ok", null);

    private static ServiceOutcome Rollout(string service, RolloutResult result, FailureKind failure = FailureKind.Unhealthy) =>
        new(service, result, $"{result}", null) { Failure = failure };

    private static FailedRevision FailedBefore(params string[] services) => new(Revision, "shop/api: rolled back", FailedAt, [.. services]);

    /// <summary>One row: the case, what the pass knew, and every field of the verdict the readers use.</summary>
    public sealed record Row(
        string Case,
        PassFacts Facts,
        ApplyOutcome Outcome,
        string HistoryResult,
        PassOutcome PassOutcome,
        string Reason,
        bool RevisionApplied,
        string[] HeldServices,
        string Summary)
    {
        public override string ToString() => Case;
    }

    public static TheoryData<Row> Rows => new(
    [
        new("nothing to do",
            new PassFacts(Revision, NoChanges) { Report = Nothing },
            ApplyOutcome.UpToDate, HistoryResults.UpToDate, PassOutcome.Converged, "ReconciliationSucceeded", true, [], "no changes"),
        new("changes applied",
            new PassFacts(Revision, TwoChanges) { Report = Report(Succeeded("shop/api")) },
            ApplyOutcome.Applied, HistoryResults.Converged, PassOutcome.Changed, "ReconciliationSucceeded", true, [], "2 change(s) applied"),
        new("a health gate failed and the service was rolled back",
            new PassFacts(Revision, TwoChanges) { Report = Report(Rollout("shop/api", RolloutResult.RolledBack), Succeeded("shop/web")) },
            ApplyOutcome.Failed, HistoryResults.RolledBack, PassOutcome.Stalled, "RolledBack", false, ["shop/api"], "shop/api: RolledBack"),
        new("a health gate failed with nothing to roll back to",
            new PassFacts(Revision, TwoChanges) { Report = Report(Rollout("shop/api", RolloutResult.Failed)) },
            ApplyOutcome.Failed, HistoryResults.Failed, PassOutcome.Stalled, "ApplyFailed", false, ["shop/api"], "shop/api: Failed"),
        new("the engine went away during a rollout",
            new PassFacts(Revision, TwoChanges) { Report = Report(Rollout("shop/api", RolloutResult.Failed, FailureKind.Transient)) },
            ApplyOutcome.TransientFailure, HistoryResults.TransientFailure, PassOutcome.Transient, "EngineUnavailable", false, [], "shop/api: Failed"),
        new("a transient failure wins over a rollback in the same pass",
            new PassFacts(Revision, TwoChanges) { Report = Report(Rollout("shop/api", RolloutResult.RolledBack), Rollout("shop/web", RolloutResult.Failed, FailureKind.Transient)) },
            ApplyOutcome.TransientFailure, HistoryResults.TransientFailure, PassOutcome.Transient, "EngineUnavailable", false, ["shop/api"], "shop/api: RolledBack; shop/web: Failed"),
        new("a step of no service failed on the network",
            new PassFacts(Revision, TwoChanges)
            {
                Report = new([new StepOutcome(new PullImageStep("img:2", "missing"), StepResult.Failed, "registry unreachable") { Failure = FailureKind.Transient }], []),
            },
            ApplyOutcome.TransientFailure, HistoryResults.TransientFailure, PassOutcome.Transient, "EngineUnavailable", false, [], "pull image img:2: registry unreachable"),
        new("the host refused (a name taken, a dependency down): nothing held",
            new PassFacts(Revision, TwoChanges) { Report = Report(Rollout("shop/api", RolloutResult.Failed, FailureKind.Host)) },
            ApplyOutcome.Failed, HistoryResults.Failed, PassOutcome.Stalled, "ApplyFailed", false, [], "shop/api: Failed"),
        new("a service the planner could not plan",
            new PassFacts(Revision, NoChanges with { Problems = [new PlanProblem("shop/web", "container name shop-web-1 is taken")] }) { Report = Nothing },
            ApplyOutcome.Failed, HistoryResults.Failed, PassOutcome.Stalled, "ApplyFailed", false, [], "shop/web: container name shop-web-1 is taken"),
        new("the whole desired state refused",
            new PassFacts(Revision, NoChanges with { Problems = [new PlanProblem(null, "it would remove every service")] }),
            ApplyOutcome.Refused, HistoryResults.Refused, PassOutcome.Stalled, "DesiredStateRefused", false, [], "it would remove every service"),
        new("the host's files in the commit's way, before execution",
            new PassFacts(Revision, TwoChanges) { HostProblem = "config/app.conf is a directory" },
            ApplyOutcome.Failed, HistoryResults.Failed, PassOutcome.Stalled, "ApplyFailed", false, [], "config/app.conf is a directory"),
        new("held back, nothing else to do",
            new PassFacts(Revision, NoChanges) { Report = Nothing, Held = ["shop/api"], FailedBefore = FailedBefore("shop/api") },
            ApplyOutcome.SkippedFailedRevision, HistoryResults.HeldBack, PassOutcome.Stalled, "RevisionFailedBefore", false, ["shop/api"],
            "revision rev-2 failed at 2026-11-20 10:00:00Z (shop/api: rolled back); shop/api held back until the desired state changes or --retry-failed is given"),
        new("held back, the other changes applied",
            new PassFacts(Revision, TwoChanges) { Report = Report(Succeeded("shop/web")), Held = ["shop/api"], FailedBefore = FailedBefore("shop/api") },
            ApplyOutcome.SkippedFailedRevision, HistoryResults.HeldBack, PassOutcome.Stalled, "RevisionFailedBefore", false, ["shop/api"], "revision rev-2 failed at 2026-11-20 10:00:00Z"),
        new("held back and a front not routed",
            new PassFacts(Revision, NoChanges) { Report = Nothing, Held = ["shop/api"], FailedBefore = FailedBefore("shop/api"), RoutingProblems = ["shop/web: nsenter failed"] },
            ApplyOutcome.Failed, HistoryResults.Failed, PassOutcome.Stalled, "ApplyFailed", false, ["shop/api"], "shop/web: nsenter failed; revision rev-2 failed"),
        new("applied, but a front not routed: the revision counts as applied, the pass does not",
            new PassFacts(Revision, TwoChanges) { Report = Report(Succeeded("shop/web")), RoutingProblems = ["shop/web: nsenter failed"] },
            ApplyOutcome.Failed, HistoryResults.Failed, PassOutcome.Stalled, "ApplyFailed", true, [], "shop/web: nsenter failed"),
        new("a forced retry the engine interrupted keeps the service held",
            new PassFacts(Revision, TwoChanges) { Report = Report(Rollout("shop/api", RolloutResult.Failed, FailureKind.Transient)), RetryFailed = true, FailedBefore = FailedBefore("shop/api") },
            ApplyOutcome.TransientFailure, HistoryResults.TransientFailure, PassOutcome.Transient, "EngineUnavailable", false, ["shop/api"], "shop/api: Failed"),
        new("a forced retry that passed its gate holds nothing",
            new PassFacts(Revision, TwoChanges) { Report = Report(Succeeded("shop/api")), RetryFailed = true, FailedBefore = FailedBefore("shop/api") },
            ApplyOutcome.Applied, HistoryResults.Converged, PassOutcome.Changed, "ReconciliationSucceeded", true, [], "2 change(s) applied"),
        new("the last applied files could not be put back",
            new PassFacts(Revision, TwoChanges) { Report = Report(Rollout("shop/api", RolloutResult.RolledBack)), RestoreFailure = "could not put the last applied files back in /var/lib/berth/live: disk full" },
            ApplyOutcome.Failed, HistoryResults.RolledBack, PassOutcome.Stalled, "RolledBack", false, ["shop/api"], "shop/api: RolledBack; could not put the last applied files back"),
    ]);

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decide_Case_GivesTheVerdictEveryReaderShows(Row row)
    {
        var verdict = PassVerdict.Decide(row.Facts);

        Assert.Equal(
            (row.Outcome, row.HistoryResult, row.PassOutcome, row.Reason, row.RevisionApplied),
            (verdict.Outcome, verdict.HistoryResult, verdict.PassOutcome, verdict.Reason, verdict.RevisionApplied));
        Assert.Equal(row.HeldServices, verdict.HeldServices);
        Assert.StartsWith(row.Summary, verdict.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decide_Case_ARestartReadsTheRecordedResultBackAsTheSameOutcomeAndReason(Row row)
    {
        var verdict = PassVerdict.Decide(row.Facts);
        var board = new StatusBoard("h", "v", FailedAt);

        board.RestoreFrom(AppliedState.Empty("h").WithHistory(new HistoryEntry(FailedAt, Revision, verdict.HistoryResult, verdict.HistorySummary)));

        Assert.Equal((verdict.PassOutcome, verdict.Reason), (board.Current.LastAttempted!.Outcome, board.Current.LastAttempted.Reason));
    }

    [Fact]
    public void Decide_HeldAndNothingNewFailed_KeepsTheFirstFailuresTimeAndReason()
    {
        var verdict = PassVerdict.Decide(new PassFacts(Revision, NoChanges) { Report = Nothing, Held = ["shop/api"], FailedBefore = FailedBefore("shop/api") });

        Assert.True(verdict.KeepFailedAt);
    }

    [Fact]
    public void Decide_HeldAndAnotherServiceFailsItsGate_RecordsANewFailure()
    {
        var verdict = PassVerdict.Decide(new PassFacts(Revision, TwoChanges)
        {
            Report = Report(Rollout("shop/web", RolloutResult.RolledBack)),
            Held = ["shop/api"],
            FailedBefore = FailedBefore("shop/api"),
        });

        Assert.False(verdict.KeepFailedAt);
        Assert.Equal<string>(["shop/api", "shop/web"], verdict.HeldServices);
    }

    [Fact]
    public void Describe_AResultWrittenByANewerBerth_ReadsAsAFailedApply() =>
        Assert.Equal((PassOutcome.Stalled, "ApplyFailed"), PassVerdict.Describe("some future result"));

    [Fact]
    public void Describe_AFailedResultFromAnOlderStateFile_StaysAFailedApply() =>
        Assert.Equal((PassOutcome.Stalled, "ApplyFailed"), PassVerdict.Describe("failed"));
}
