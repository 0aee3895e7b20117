using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Reconciliation;

public sealed record ApplyOptions
{
    /// <summary>Repair drift (default) or only report it.</summary>
    public DriftMode DriftMode { get; init; } = DriftMode.Repair;

    /// <summary>Apply a revision even though it failed before (`berth apply --retry-failed`). Default false.</summary>
    public bool RetryFailed { get; init; }

    /// <summary>See <see cref="ExecutionScope.DrainPeriod"/>. Default 1 s.</summary>
    public TimeSpan DrainPeriod { get; init; } = TimeSpan.FromSeconds(1);
}

public enum ApplyOutcome
{
    /// <summary>Nothing to do: the host already matched.</summary>
    UpToDate,

    /// <summary>Changes were made and every service is healthy.</summary>
    Converged,

    /// <summary>Something failed, was rolled back, or was held back; see the report.</summary>
    Failed,

    /// <summary>
    /// This revision failed before: the services it failed for were held back (not retried until it
    /// changes or an operator forces it); everything else was applied, see the report.
    /// </summary>
    SkippedFailedRevision,

    /// <summary>
    /// The engine or a registry did not answer during the pass (unreachable, 5xx, timeout, pull network
    /// error). Nothing is held against the revision: retry soon, with backoff.
    /// </summary>
    TransientFailure,

    /// <summary>The whole desired state was refused (e.g. it would empty the host).</summary>
    Refused,
}

public sealed record ApplyResult(ApplyOutcome Outcome, string Revision, Plan Plan, ExecutionReport? Report, string Summary)
{
    /// <summary>
    /// The last snapshot of the engine the pass took: after execution, or the one the plan was made
    /// from when nothing was executed. Per-service metrics (replicas, health) are read from it, so
    /// recording them costs no extra engine call.
    /// </summary>
    public ObservedState? Observed { get; init; }
}

/// <summary>
/// One pass for one host over an already loaded desired state:
/// observe once -> plan (pure) -> execute (health-gated) -> observe again -> record.
/// </summary>
/// <param name="frontRules">How fronts' rules are installed; default: nsenter + iptables-restore.</param>
public sealed class HostReconciler(IContainerEngine engine, StateStore stateStore, TimeProvider timeProvider, IFrontRules? frontRules = null)
{
    private readonly IFrontRules frontRules = frontRules ?? new NetnsFrontRules(timeProvider);

    /// <param name="revision">
    /// The revision being previewed: when it failed before, the plan shows what `apply` would do with
    /// it, i.e. without the held services' steps and with a note for each (<see cref="FailedRevisionHold"/>).
    /// </param>
    public async Task<Plan> PlanAsync(DesiredState desired, DriftMode driftMode, CancellationToken cancellationToken, string? revision = null)
    {
        var applied = await stateStore.LoadAsync(desired.Host, cancellationToken).ConfigureAwait(false);
        var observed = await ObserveAsync(desired, cancellationToken).ConfigureAwait(false);
        var plan = Planner.Create(desired, observed, applied, driftMode);
        if (plan.Refused || revision is null || !applied.FailedRevisions.TryGetValue(revision, out var failed))
        {
            return plan;
        }

        return FailedRevisionHold.Apply(plan, failed).Plan;
    }

    /// <summary>
    /// For a pass that ends before it has a desired state to plan (git unreachable, invalid or refused
    /// commit): one snapshot of the engine, measured against the services last applied (from berth's
    /// state), so per-service replicas and health stay current while the source is stuck.
    /// </summary>
    public async Task<(DesiredState LastApplied, ObservedState Observed)> ObserveLastAppliedAsync(string host, CancellationToken cancellationToken)
    {
        var lastApplied = (await stateStore.LoadAsync(host, cancellationToken).ConfigureAwait(false)).LastAppliedServices();
        return (lastApplied, await ObserveAsync(lastApplied, cancellationToken).ConfigureAwait(false));
    }

    /// <param name="files">
    /// A git revision's files (<see cref="LoadedDesiredState.Files"/>): put into the live directory
    /// just before the rollout, kept as the last applied files when it succeeds, and replaced by the
    /// last applied revision's files when it fails. Null for a directory source.
    /// </param>
    public async Task<ApplyResult> ApplyAsync(
        DesiredState desired, string revision, ApplyOptions options, Action<ProgressEvent> progress, CancellationToken cancellationToken, RevisionFiles? files = null)
    {
        var applied = await stateStore.LoadAsync(desired.Host, cancellationToken).ConfigureAwait(false);
        var observed = await ObserveAsync(desired, cancellationToken).ConfigureAwait(false);
        var fullPlan = Planner.Create(desired, observed, applied, options.DriftMode);
        var now = timeProvider.GetUtcNow();

        if (fullPlan.Refused)
        {
            // Level-based: the planner refuses this state again on every pass, so nothing is recorded
            // against the revision; the operator's fix (or a new commit) is picked up by the next pass.
            var reason = string.Join("; ", fullPlan.Problems.Select(problem => problem.Message)
                .Concat(await RouteFrontsAsync(desired.Host, observed, progress, cancellationToken).ConfigureAwait(false)));
            await stateStore.SaveAsync(RecordAttempt(applied, revision, now, success: false, reason, HistoryResults.Refused, []), cancellationToken).ConfigureAwait(false);
            return new ApplyResult(ApplyOutcome.Refused, revision, fullPlan, null, reason) { Observed = observed };
        }

        // A revision whose rollout failed is not re-applied in a loop: the services it failed for wait for
        // a new revision or an operator's --retry-failed. Everything else (drift repair of other services,
        // networks, removals) still converges.
        applied.FailedRevisions.TryGetValue(revision, out var failed);
        var (plan, held) = options.RetryFailed ? (fullPlan, []) : FailedRevisionHold.Apply(fullPlan, failed);
        if (!held.IsEmpty && !plan.HasChanges)
        {
            // A front that cannot be programmed is the host's trouble, retried with backoff, not "held".
            var frontsNotRouted = await RouteFrontsAsync(desired.Host, observed, progress, cancellationToken).ConfigureAwait(false);
            var heldOutcome = frontsNotRouted.IsEmpty ? ApplyOutcome.SkippedFailedRevision : ApplyOutcome.Failed;
            return new ApplyResult(heldOutcome, revision, plan, null, string.Join("; ", frontsNotRouted.Prepend(HeldSummary(revision, failed!, held))))
            {
                Observed = observed,
            };
        }

        // While a service is held back, the revision's files stay out of the live directory: the held
        // service's rolled-back containers run on the last applied files, which a drift repair in this
        // pass must not rewrite under them (docs/repository-format.md: services that converged within a
        // failed revision run on the last applied files until a good one). This also keeps a conflict
        // below from clearing a hold: it can only happen when nothing is held.
        if (!held.IsEmpty)
        {
            files = null;
        }

        // The containers this rollout creates need the revision's files, so they go into the live
        // directory now, not after success. A path taken by a container's data refuses the revision
        // before anything changed (the mirror never overwrites what berth did not write).
        if (files is not null)
        {
            try
            {
                foreach (var kept in files.Switch(desired))
                {
                    progress(new ProgressEvent(null, $"kept {kept} in {files.LiveTree.Directory}: the commit removed it, but it changed since berth wrote it"));
                }
            }
            catch (TreeMirrorConflictException conflict)
            {
                // The host's state (a container's file in the commit's way), not the revision's fault:
                // nothing is held against the revision, so the operator's fix is picked up by the next pass.
                await stateStore.SaveAsync(RecordAttempt(applied, revision, now, success: false, conflict.Message, HistoryResults.Failed, []), cancellationToken).ConfigureAwait(false);
                return new ApplyResult(ApplyOutcome.Failed, revision, plan, null, conflict.Message) { Observed = observed };
            }
        }

        var scope = new ExecutionScope(new ResourceOwner(desired.Host, revision), options.DrainPeriod)
        {
            ServicesWithFront = FrontRouter.ServicesWithFront(observed, desired.AllServices),
            RestorePreviousFiles = files is null ? null : files.RestorePrevious,
        };
        ExecutionReport report;
        try
        {
            report = plan.HasChanges
                ? await new PlanExecutor(engine, timeProvider, this.frontRules).ExecuteAsync(plan, scope, progress, cancellationToken).ConfigureAwait(false)
                : new ExecutionReport([], []);
        }
        catch
        {
            // Engine gone or cancelled mid-rollout: the revision was not applied, so neither are its files.
            files?.RestorePrevious();
            throw;
        }

        // Invariant: the live directory holds the last applied revision's files whenever a pass ends.
        if (report.Succeeded && plan.Problems.IsEmpty)
        {
            files?.MarkApplied();
        }
        else
        {
            files?.RestorePrevious();
        }

        var restoreFailure = files?.RestoreFailure is { } failure ? $"could not put the last applied files back in {files.LiveTree.Directory}: {failure}" : null;
        if (restoreFailure is not null)
        {
            progress(new ProgressEvent(null, restoreFailure));
        }

        // Level-based record: what actually runs now, not what we think we did.
        var after = await ObserveAsync(desired, cancellationToken).ConfigureAwait(false);

        // A front without its rules answers nothing for its service: the pass did not converge (the
        // host's setup, not the revision's fault: nothing is held against it).
        // The revision still counts as applied when its containers converged (its files are live):
        // only the pass's outcome says the front is not forwarding.
        var frontProblems = await RouteFrontsAsync(desired.Host, after, progress, cancellationToken).ConfigureAwait(false);
        var converged = report.Succeeded && plan.Problems.IsEmpty && held.IsEmpty;
        var success = converged && frontProblems.IsEmpty;

        // Held against the revision: the services it held before (not retried now) and those whose new
        // containers failed their health gate in this pass. Transient errors and the host's state
        // (a name squatted, a dependency down, an engine refusal) are not the revision's fault.
        // A forced retry that ended without a verdict on a held service (engine gone, dependency down)
        // keeps it held: only a passed or a failed gate changes what is known about it.
        var undecided = options.RetryFailed && failed is { Services.IsDefault: false }
            ? report.Services.Where(service => service.Result != RolloutResult.Succeeded && service.Failure != FailureKind.Unhealthy && failed.Services.Contains(service.QualifiedService))
                .Select(service => service.QualifiedService)
            : [];
        ImmutableArray<string> failedServices = [.. held.Union(report.UnhealthyServices).Union(undecided).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var outcome = success ? (plan.HasChanges ? ApplyOutcome.Converged : ApplyOutcome.UpToDate)
            : report.HasTransientFailure ? ApplyOutcome.TransientFailure
            : !report.Succeeded || !plan.Problems.IsEmpty || !frontProblems.IsEmpty ? ApplyOutcome.Failed
            : ApplyOutcome.SkippedFailedRevision;
        var failureReason = outcome switch
        {
            ApplyOutcome.SkippedFailedRevision => HeldSummary(revision, failed!, held),
            ApplyOutcome.Converged or ApplyOutcome.UpToDate => null,
            _ => string.Join("; ", new[] { FailureSummary(plan, report) }.Concat(frontProblems).Where(reason => reason.Length > 0))
                + (held.IsEmpty ? "" : "; " + HeldSummary(revision, failed!, held)) + (restoreFailure is null ? "" : "; " + restoreFailure),
        };
        var recorded = RecordServices(applied, desired, after, revision, now);
        recorded = RecordAttempt(recorded, revision, timeProvider.GetUtcNow(), converged, failureReason,
            outcome switch
            {
                ApplyOutcome.Converged => HistoryResults.Converged,
                ApplyOutcome.UpToDate => HistoryResults.UpToDate,
                ApplyOutcome.TransientFailure => HistoryResults.TransientFailure,
                ApplyOutcome.SkippedFailedRevision => HistoryResults.HeldBack,
                _ => HistoryResults.Failed,
            },
            failedServices,
            keepFailedAt: failed is not null && report.UnhealthyServices.IsEmpty);
        await stateStore.SaveAsync(recorded, cancellationToken).ConfigureAwait(false);

        return new ApplyResult(outcome, revision, plan, report, failureReason ?? (plan.HasChanges ? $"{plan.Steps.Length} change(s) applied" : "no changes"))
        {
            Observed = after,
        };
    }

    /// <summary>
    /// Re-installs each front's rules from what runs. Every pass does this, also one that ends early
    /// (git unreachable, an invalid or refused commit): a front or a replica that restarted (a reboot,
    /// an engine upgrade, a crash under a restart policy) has a new network namespace or address, and
    /// the pass is where berth notices. Every front that runs is routed, whatever the desired state
    /// says of it: as long as it holds a service's names, it must forward. Idempotent, one atomic table each.
    /// </summary>
    /// <returns>One message per front whose rules could not be installed (the others are installed).</returns>
    public async Task<ImmutableArray<string>> RouteFrontsAsync(string host, ObservedState observed, CancellationToken cancellationToken)
    {
        var router = new FrontRouter(engine, frontRules, host, observed.Fronts.Select(front => front.QualifiedService).ToImmutableHashSet(StringComparer.Ordinal));
        var problems = ImmutableArray.CreateBuilder<string>();
        foreach (var front in observed.Fronts.Where(front => front.State == ContainerRunState.Running))
        {
            try
            {
                await router.RouteAsync(front.Stack, front.Service, observed, cancellationToken).ConfigureAwait(false);
            }
            catch (FrontRoutingException exception)
            {
                problems.Add($"{front.QualifiedService}: {exception.Message}");
            }
        }

        return problems.ToImmutable();
    }

    private async Task<ImmutableArray<string>> RouteFrontsAsync(string host, ObservedState observed, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        var problems = await RouteFrontsAsync(host, observed, cancellationToken).ConfigureAwait(false);
        foreach (var problem in problems)
        {
            progress(new ProgressEvent(null, problem));
        }

        return problems;
    }

    private static string HeldSummary(string revision, FailedRevision failed, ImmutableArray<string> held) =>
        $"revision {revision} failed at {failed.At:u} ({failed.Reason}); {string.Join(", ", held)} held back until the desired state changes or --retry-failed is given";

    private Task<ObservedState> ObserveAsync(DesiredState desired, CancellationToken cancellationToken) =>
        engine.ObserveAsync(desired.Host, desired.AllServices.Select(service => service.Container.Image), cancellationToken);

    private static string FailureSummary(Plan plan, ExecutionReport report)
    {
        var reasons = plan.Problems.Select(problem => (problem.QualifiedService is null ? "" : problem.QualifiedService + ": ") + problem.Message)
            .Concat(report.Services.Where(service => service.Result != RolloutResult.Succeeded)
                .Select(service => $"{service.QualifiedService}: {service.Message}" + (service.Evidence is { } evidence ? $" ({evidence.ContainerName}: {evidence.Reason})" : "")))
            .Concat(report.Steps.Where(step => step.Result == StepResult.Failed && step.Step.QualifiedService is null)
                .Select(step => $"{step.Step.Action}: {step.Message}"));
        return string.Join("; ", reasons);
    }

    /// <summary>Records every desired service that now fully matches; others keep their previous record (for rollback).</summary>
    private static AppliedState RecordServices(AppliedState applied, DesiredState desired, ObservedState after, string revision, DateTimeOffset now)
    {
        var services = applied.Services.ToBuilder();
        foreach (var service in desired.AllServices)
        {
            // Finished replacements keep their label but carry the canonical name by now.
            var containers = after.Containers
                .Where(container => container.Stack == service.Stack && container.Service == service.Name)
                .Where(container => container.ReplacementOf is null || container.Name == container.ReplacementOf)
                .ToList();
            var matching = Enumerable.Range(1, service.Replicas)
                .Select(replica => containers.FirstOrDefault(container => container.Replica == replica && container.Name == Planning.ContainerNames.For(service, replica)))
                .ToList();
            var converged = matching.All(container => container is not null && container.ConfigHash == service.ConfigHash && container.State == ContainerRunState.Running)
                && containers.Count == service.Replicas;
            if (!converged)
            {
                continue;
            }

            after.ImageIds.TryGetValue(service.Container.Image, out var imageId);
            services[service.QualifiedName] = new AppliedService(
                service.ConfigHash,
                service.FieldHashes,
                service.Container.Image,
                imageId,
                revision,
                matching.Select(container => container!).ToImmutableSortedDictionary(container => container.Replica, container => container.Id),
                service);
        }

        foreach (var gone in services.Keys.Where(key => !desired.AllServices.Any(service => service.QualifiedName == key)).ToList())
        {
            services.Remove(gone);
        }

        return applied with { Services = services.ToImmutable() };
    }

    /// <param name="failedServices">The services the revision is held for from now on; empty: it is not held at all.</param>
    /// <param name="keepFailedAt">Nothing new failed: keep the original record (time and reason) for the services still held.</param>
    private static AppliedState RecordAttempt(
        AppliedState state, string revision, DateTimeOffset now, bool success, string? failureReason, string result, ImmutableArray<string> failedServices, bool keepFailedAt = false)
    {
        var failedRevisions = failedServices.IsEmpty
            ? state.FailedRevisions.Remove(revision)
            : keepFailedAt && state.FailedRevisions.TryGetValue(revision, out var previous)
                ? state.FailedRevisions.SetItem(revision, previous with { Services = failedServices })
                : state.FailedRevisions.SetItem(revision, new FailedRevision(revision, failureReason ?? result, now, failedServices));
        var next = state with
        {
            LastAttemptedRevision = revision,
            LastAttemptedAt = now,
            LastAppliedRevision = success ? revision : state.LastAppliedRevision,
            LastAppliedAt = success ? now : state.LastAppliedAt,
            FailedRevisions = failedRevisions,
        };
        return next.WithHistory(new HistoryEntry(now, revision, result, failureReason ?? result));
    }
}
