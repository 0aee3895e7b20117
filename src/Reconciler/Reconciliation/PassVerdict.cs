using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Planning;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Reconciliation;

/// <summary>What a pass knew when it ended: the input of <see cref="PassVerdict.Decide"/>.</summary>
/// <param name="Revision">The revision the pass worked on.</param>
/// <param name="Plan">The plan it executed (held services' steps already taken out); <see cref="Plan.Refused"/>: nothing ran.</param>
public sealed record PassFacts(string Revision, Plan Plan)
{
    /// <summary>What the executor reported; null when nothing was executed (a refused plan, a host problem before execution).</summary>
    public ExecutionReport? Report { get; init; }

    /// <summary>Services the failed-revision rule kept out of this pass (<see cref="FailedRevisionHold"/>), sorted.</summary>
    public ImmutableArray<string> Held { get; init; } = [];

    /// <summary>The record of this revision's earlier failure, if it has one.</summary>
    public FailedRevision? FailedBefore { get; init; }

    /// <summary>The pass was asked to retry the held services (`--retry-failed`).</summary>
    public bool RetryFailed { get; init; }

    /// <summary>One message per front whose rules could not be installed at the end of the pass.</summary>
    public ImmutableArray<string> RoutingProblems { get; init; } = [];

    /// <summary>The host's state stopped the pass before execution (e.g. a container's file in the commit's way); nothing ran.</summary>
    public string? HostProblem { get; init; }

    /// <summary>The last applied files could not be put back into the live directory; reported beside the outcome.</summary>
    public string? RestoreFailure { get; init; }
}

/// <summary>
/// How one pass ended, decided once: the CLI's exit code and summary, the daemon's pass outcome and
/// condition reason, the metrics' result label, and the state file's history entry and failed-revision
/// record are all read from it, so they cannot disagree.
/// </summary>
/// <param name="HistoryResult">
/// One of <see cref="HistoryResults"/>: how the pass ended, as the state file records it. Everything
/// else a reader shows (<see cref="Outcome"/>, <see cref="PassOutcome"/>, <see cref="Reason"/>) follows
/// from it through one table, so a restarted daemon reads a recorded pass back exactly as it was reported.
/// </param>
/// <param name="Summary">One line for a person: what changed, or what failed and why.</param>
/// <param name="RevisionApplied">
/// The revision's changes all converged: it becomes the last applied revision. Also true when only a
/// front could not be routed afterwards (the host's setup, not the revision's fault: its containers and
/// files are live), although the pass did not succeed.
/// </param>
/// <param name="HeldServices">The services held against the revision from now on (sorted); empty: the revision is not held at all.</param>
/// <param name="KeepFailedAt">Nothing new failed: the revision's failure record keeps its time and reason, only its services are updated.</param>
public sealed record PassVerdict(
    string HistoryResult,
    string Summary,
    bool RevisionApplied,
    ImmutableArray<string> HeldServices,
    bool KeepFailedAt)
{
    /// <summary>How `berth apply` and the metrics see the pass.</summary>
    public ApplyOutcome Outcome => Kind(HistoryResult).Outcome;

    /// <summary>How the daemon's loop schedules after this pass.</summary>
    public PassOutcome PassOutcome => Kind(HistoryResult).PassOutcome;

    /// <summary>The reason of the status conditions (e.g. "RolledBack", "RevisionFailedBefore").</summary>
    public string Reason => Kind(HistoryResult).Reason;

    /// <summary>The host matches the revision: `berth apply` exits 0, the daemon reports success.</summary>
    public bool Succeeded => Outcome is ApplyOutcome.Applied or ApplyOutcome.UpToDate;

    /// <summary>What the state's history entry says: the result itself for a success, else the summary.</summary>
    public string HistorySummary => Succeeded ? HistoryResult : Summary;

    /// <summary>The daemon's outcome and condition reason for a recorded result: how a restarted daemon reads its history back.</summary>
    public static (PassOutcome Outcome, string Reason) Describe(string historyResult) =>
        (Kind(historyResult).PassOutcome, Kind(historyResult).Reason);

    /// <summary>
    /// The one mapping from how a pass ended to what each reader shows. A result this version does not
    /// know (written by a newer berth) reads as a failed apply.
    /// </summary>
    private static (ApplyOutcome Outcome, PassOutcome PassOutcome, string Reason) Kind(string historyResult) => historyResult switch
    {
        HistoryResults.UpToDate => (ApplyOutcome.UpToDate, PassOutcome.Converged, "ReconciliationSucceeded"),
        HistoryResults.Converged => (ApplyOutcome.Applied, PassOutcome.Changed, "ReconciliationSucceeded"),
        HistoryResults.RolledBack => (ApplyOutcome.Failed, PassOutcome.Stalled, "RolledBack"),
        HistoryResults.HeldBack => (ApplyOutcome.SkippedFailedRevision, PassOutcome.Stalled, "RevisionFailedBefore"),
        // Nothing is held against the revision; retried with backoff like an unreachable engine.
        HistoryResults.TransientFailure => (ApplyOutcome.TransientFailure, PassOutcome.Transient, "EngineUnavailable"),
        HistoryResults.Refused => (ApplyOutcome.Refused, PassOutcome.Stalled, "DesiredStateRefused"),
        _ => (ApplyOutcome.Failed, PassOutcome.Stalled, "ApplyFailed"),
    };

    /// <summary>Pure: the verdict on a pass from what it knew when it ended.</summary>
    public static PassVerdict Decide(PassFacts facts)
    {
        var plan = facts.Plan;
        if (plan.Refused)
        {
            // Level-based: the planner refuses this state again on every pass, so nothing is held
            // against the revision; the operator's fix (or a new commit) is picked up by the next pass.
            var reasons = string.Join("; ", plan.Problems.Select(problem => problem.Message).Concat(facts.RoutingProblems));
            return new PassVerdict(HistoryResults.Refused, reasons, RevisionApplied: false, [], KeepFailedAt: false);
        }

        if (facts.HostProblem is { } hostProblem || facts.Report is null)
        {
            // The host's state, not the revision's fault: nothing is held, so the fix is picked up by the next pass.
            var problems = string.Join("; ", new[] { facts.HostProblem ?? "nothing was executed" }.Concat(facts.RoutingProblems));
            return new PassVerdict(HistoryResults.Failed, problems, RevisionApplied: false, [], KeepFailedAt: false);
        }

        var report = facts.Report;
        var held = facts.Held;
        var converged = report.Succeeded && plan.Problems.IsEmpty && held.IsEmpty;

        // A front without its rules answers nothing for its service: the pass did not succeed (the
        // host's setup, not the revision's fault: nothing is held against it). The revision still
        // counts as applied when its containers converged (its files are live).
        var success = converged && facts.RoutingProblems.IsEmpty;

        // Held against the revision: the services it held before (not retried now) and those whose new
        // containers failed their health gate in this pass. Transient errors and the host's state
        // (a name squatted, a dependency down, an engine refusal) are not the revision's fault.
        // A forced retry that ended without a verdict on a held service (engine gone, dependency down)
        // keeps it held: only a passed or a failed gate changes what is known about it.
        var failed = facts.FailedBefore;
        var undecided = facts.RetryFailed && failed is { Services.IsDefault: false }
            ? report.Services.Where(service => service.Result != RolloutResult.Succeeded && service.Failure != FailureKind.Unhealthy && failed.Services.Contains(service.QualifiedService))
                .Select(service => service.QualifiedService)
            : [];
        ImmutableArray<string> heldServices = [.. held.Union(report.UnhealthyServices).Union(undecided).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

        var historyResult = success ? (plan.HasChanges ? HistoryResults.Converged : HistoryResults.UpToDate)
            : report.HasTransientFailure ? HistoryResults.TransientFailure
            : !report.Succeeded || !plan.Problems.IsEmpty || !facts.RoutingProblems.IsEmpty
                ? (report.Services.Any(service => service.Result == RolloutResult.RolledBack) ? HistoryResults.RolledBack : HistoryResults.Failed)
            : HistoryResults.HeldBack;
        var heldSummary = held.IsEmpty ? null : HeldSummary(facts.Revision, failed!, held);
        var summary = historyResult switch
        {
            HistoryResults.Converged => $"{plan.Steps.Length} change(s) applied",
            HistoryResults.UpToDate => "no changes",
            HistoryResults.HeldBack => heldSummary!,
            _ => string.Join("; ", new[] { FailureSummary(plan, report) }.Concat(facts.RoutingProblems).Append(heldSummary).Append(facts.RestoreFailure)
                .Where(reason => !string.IsNullOrEmpty(reason))),
        };
        return new PassVerdict(historyResult, summary, converged, heldServices, KeepFailedAt: failed is not null && report.UnhealthyServices.IsEmpty);
    }

    private static string HeldSummary(string revision, FailedRevision failed, ImmutableArray<string> held) =>
        $"revision {revision} failed at {failed.At.ToString("u", CultureInfo.InvariantCulture)} ({failed.Reason}); {string.Join(", ", held)} held back until the desired state changes or --retry-failed is given";

    private static string FailureSummary(Plan plan, ExecutionReport report)
    {
        var reasons = plan.Problems.Select(problem => (problem.QualifiedService is null ? "" : problem.QualifiedService + ": ") + problem.Message)
            .Concat(report.Services.Where(service => service.Result != RolloutResult.Succeeded)
                .Select(service => $"{service.QualifiedService}: {service.Message}" + (service.Evidence is { } evidence ? $" ({evidence.ContainerName}: {evidence.Reason})" : "")))
            .Concat(report.Steps.Where(step => step.Result == StepResult.Failed && step.Step.QualifiedService is null)
                .Select(step => $"{step.Step.Action}: {step.Message}"));
        return string.Join("; ", reasons);
    }
}
