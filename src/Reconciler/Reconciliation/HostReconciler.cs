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

    /// <summary>
    /// Which replicas the pass inspects to see what `docker update` changed (<see cref="DriftCheckScope"/>):
    /// `berth apply --drift-check` all of them, the daemon those an `update` event named and all at its
    /// resync. Default none: the pass reads only the engine's lists.
    /// </summary>
    public DriftCheckScope DriftCheck { get; init; } = DriftCheckScope.None;

    /// <summary>Apply a revision even though it failed before (`berth apply --retry-failed`). Default false.</summary>
    public bool RetryFailed { get; init; }

    /// <summary>See <see cref="ExecutionScope.DrainPeriod"/>. Default 1 s.</summary>
    public TimeSpan DrainPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Containers being created or started at once (engine calls, <see cref="StartSlots"/>);
    /// null: <see cref="StartSlots.DefaultLimit"/>, the core count.
    /// </summary>
    public int? MaxConcurrentStarts { get; init; }

    /// <summary>Image pulls running at once (<see cref="PullSlots"/>); null: <see cref="PullSlots.DefaultLimit"/>, 3.</summary>
    public int? MaxConcurrentPulls { get; init; }

    /// <summary>
    /// How often a running pull prints how far it got; null: <see cref="PullProgressReporter.DefaultInterval"/>, 5 s.
    /// Internal: only tests change it (to see progress lines from a pull of a few seconds).
    /// </summary>
    internal TimeSpan? PullProgressInterval { get; init; }
}

public enum ApplyOutcome
{
    /// <summary>Nothing to do: the host already matched.</summary>
    UpToDate,

    /// <summary>Changes were applied and every service is healthy (metric label and history result: "converged").</summary>
    Applied,

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

/// <param name="Verdict">How the pass ended (<see cref="PassVerdict.Decide"/>): what every reader of the pass reports.</param>
public sealed record ApplyResult(PassVerdict Verdict, string Revision, Plan Plan, ExecutionReport? Report)
{
    public ApplyOutcome Outcome => Verdict.Outcome;

    public string Summary => Verdict.Summary;

    /// <summary>
    /// The last snapshot of the engine the pass took: after execution, or the one the plan was made
    /// from when nothing was executed. Per-service metrics (replicas, health) are read from it, so
    /// recording them costs no extra engine call.
    /// </summary>
    public ObservedState? Observed { get; init; }
}

/// <summary>
/// One pass for one host over an already loaded desired state:
/// observe once -> plan (pure) -> execute (health-gated) -> observe again, only when something was
/// executed -> verdict -> one record.
/// </summary>
/// <param name="frontRules">How fronts' rules are installed; default: nsenter + iptables-restore.</param>
/// <param name="tagChecker">Asks registries whether tags moved (pull_policy always, daily, weekly, every_&lt;duration&gt;); null: no registry is ever asked.</param>
/// <param name="events">The engine's event stream for the health gates; default none (the gates poll by inspect).</param>
public sealed class HostReconciler(IContainerEngine engine, IStateStore stateStore, TimeProvider timeProvider, IFrontRules? frontRules = null, Images.TagChecker? tagChecker = null, IEngineEvents? events = null)
{
    private readonly IFrontRules frontRules = Faults.FaultInjectingFrontRules.Wrap(frontRules ?? new NetnsFrontRules(timeProvider)); // the wrapper only when BERTH_FAULT_INJECT is set

    /// <param name="revision">
    /// The revision being previewed: when it failed before, the plan shows what `apply` would do with
    /// it, i.e. without the held services' steps and with a note for each (<see cref="FailedRevisionHold"/>).
    /// </param>
    /// <param name="driftCheck">Which replicas to inspect for what `docker update` changed (`berth plan --drift-check`); default none.</param>
    public async Task<Plan> PlanAsync(DesiredState desired, DriftMode driftMode, CancellationToken cancellationToken, string? revision = null, DriftCheckScope? driftCheck = null)
    {
        var observed = await InspectForDriftAsync(desired, await ObserveAsync(desired, cancellationToken).ConfigureAwait(false), driftCheck ?? DriftCheckScope.None, cancellationToken).ConfigureAwait(false);
        var applied = await LoadAppliedAsync(desired, observed, cancellationToken).ConfigureAwait(false);
        observed = await CheckTagsAsync(desired, observed, applied, cancellationToken).ConfigureAwait(false);
        var plan = Planner.Create(desired, observed, applied, driftMode, desired.Policy?.RefusedRollbacks(desired, applied));
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

    /// <summary>
    /// One pass: observe, plan, execute, observe again (only after changes), decide the verdict, and write the state file once.
    /// </summary>
    /// <remarks>
    /// One pass, one record: the attempt, the applied revision, the history entry, the failed-revision
    /// record and the container ids are written together, once, at the end of every pass that gets a
    /// verdict. Nothing is written before execution, and nothing needs to be: a crash (or an engine that
    /// goes away, which throws out of here) in the middle of a rollout leaves the previous record, whose
    /// applied specs are exactly what a rollback returns to; the next pass observes the engine again and
    /// the planner finishes or undoes the interrupted replacement from its deterministic names and labels.
    /// A revision interrupted that way is not held against (it never got a verdict), so it is simply
    /// tried again, as after any transient failure.
    /// </remarks>
    /// <param name="files">
    /// A git revision's files (<see cref="LoadedDesiredState.Files"/>): put into the live directory
    /// just before the rollout, kept as the last applied files when it succeeds, and replaced by the
    /// last applied revision's files when it fails. Null for a directory source.
    /// </param>
    public async Task<ApplyResult> ApplyAsync(
        DesiredState desired, string revision, ApplyOptions options, Action<ProgressEvent> progress, CancellationToken cancellationToken, RevisionFiles? files = null)
    {
        var observed = await InspectForDriftAsync(desired, await ObserveAsync(desired, cancellationToken).ConfigureAwait(false), options.DriftCheck, cancellationToken).ConfigureAwait(false);
        var applied = await LoadAppliedAsync(desired, observed, cancellationToken).ConfigureAwait(false);
        observed = await CheckTagsAsync(desired, observed, applied, cancellationToken).ConfigureAwait(false);
        var (facts, after) = await RunAsync(desired, revision, options, applied, observed, files, progress, cancellationToken).ConfigureAwait(false);
        var verdict = PassVerdict.Decide(facts);

        // The only write of the state file in a pass (with the registry checks' times: the pull schedule survives restarts).
        var withChecks = applied with { ImageChecks = RecordImageChecks(applied, desired, observed.TagChecks) };
        await stateStore.SaveAsync(Record(withChecks, desired, facts, verdict, after, timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return new ApplyResult(verdict, revision, facts.Plan, facts.Report) { Observed = after };
    }

    /// <summary>Plans, executes and routes the fronts: everything a pass does to the host. Writes no state.</summary>
    /// <returns>What the pass knew at its end, and the last snapshot of the engine it took.</returns>
    private async Task<(PassFacts Facts, ObservedState After)> RunAsync(
        DesiredState desired, string revision, ApplyOptions options, AppliedState applied, ObservedState observed, RevisionFiles? files, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        var fullPlan = Planner.Create(desired, observed, applied, options.DriftMode, desired.Policy?.RefusedRollbacks(desired, applied));
        if (fullPlan.Refused)
        {
            return (new PassFacts(revision, fullPlan) { RoutingProblems = await RouteFrontsAsync(desired.Host, observed, progress, cancellationToken).ConfigureAwait(false) }, observed);
        }

        // A revision whose rollout failed is not re-applied in a loop: the services it failed for wait for
        // a new revision or an operator's --retry-failed. Everything else (drift repair of other services,
        // networks, removals) still converges.
        applied.FailedRevisions.TryGetValue(revision, out var failed);
        var (plan, held) = options.RetryFailed ? (fullPlan, []) : FailedRevisionHold.Apply(fullPlan, failed);
        var facts = new PassFacts(revision, plan) { Held = held, FailedBefore = failed, RetryFailed = options.RetryFailed };
        if (!held.IsEmpty && !plan.HasChanges)
        {
            return (facts with { Report = new ExecutionReport([], []), RoutingProblems = await RouteFrontsAsync(desired.Host, observed, progress, cancellationToken).ConfigureAwait(false) }, observed);
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
                return (facts with { HostProblem = conflict.Message }, observed);
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
            // What the executor reports may quote the application (evidence: its log lines, its health-check
            // output) and the engine: masked with the secret values before anyone prints, logs or shows it.
            // Also the values restored for a rollback (applied.Secrets holds both): after a secret is rotated,
            // a rolled-back container runs with the old one.
            var secrets = applied.Secrets;
            report = plan.HasChanges
                ? (await new PlanExecutor(engine, timeProvider, this.frontRules, events: events, maxConcurrentStarts: options.MaxConcurrentStarts, maxConcurrentPulls: options.MaxConcurrentPulls, pullProgressInterval: options.PullProgressInterval)
                    .ExecuteAsync(plan, scope, step => progress(step with { Message = secrets.Mask(step.Message) }), cancellationToken).ConfigureAwait(false))
                    .MaskedWith(secrets)
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

        // Level-based record: what actually runs now, not what we think we did. A pass that executed
        // nothing changed nothing, so its one observation is still the truth: it is not taken twice.
        var after = plan.HasChanges ? await ObserveAsync(desired, cancellationToken).ConfigureAwait(false) : observed;
        var routingProblems = await RouteFrontsAsync(desired.Host, after, progress, cancellationToken).ConfigureAwait(false);
        return (facts with { Report = report, RoutingProblems = routingProblems, RestoreFailure = restoreFailure }, after);
    }

    /// <summary>
    /// The state file after a pass: its attempt and history entry always; the services that now fully
    /// match only when the plan was executed (a refused plan says nothing about which services should
    /// run, and a pass stopped before execution changed nothing).
    /// </summary>
    private static AppliedState Record(AppliedState applied, DesiredState desired, PassFacts facts, PassVerdict verdict, ObservedState after, DateTimeOffset now)
    {
        var recorded = facts.Report is null ? applied : RecordServices(applied, desired, after, facts.Revision);
        if (facts.Report is { } report)
        {
            recorded = recorded with { PulledImages = Images.ImageGarbageCollection.RecordPulls(recorded.PulledImages, report, desired, after, now) };
        }

        var revision = facts.Revision;
        var failedRevisions = verdict.HeldServices.IsEmpty
            ? recorded.FailedRevisions.Remove(revision)
            : verdict.KeepFailedAt && recorded.FailedRevisions.TryGetValue(revision, out var previous)
                ? recorded.FailedRevisions.SetItem(revision, previous with { Services = verdict.HeldServices })
                : recorded.FailedRevisions.SetItem(revision, new FailedRevision(revision, verdict.Summary, now, verdict.HeldServices));
        var next = recorded with
        {
            LastAttemptedRevision = revision,
            LastAttemptedAt = now,
            LastAppliedRevision = verdict.RevisionApplied ? revision : recorded.LastAppliedRevision,
            LastAppliedAt = verdict.RevisionApplied ? now : recorded.LastAppliedAt,
            FailedRevisions = failedRevisions,
        };
        return next.WithHistory(new HistoryEntry(now, revision, verdict.HistoryResult, verdict.HistorySummary));
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


    /// <summary>
    /// berth's record, with the applied environment values a rollback may need put back: the state file
    /// holds only their hashes, a container still running the applied spec holds the values (StoredSecrets
    /// says why there). One inspect per service whose config changes; none in a pass without changes.
    /// </summary>
    private async Task<AppliedState> LoadAppliedAsync(DesiredState desired, ObservedState observed, CancellationToken cancellationToken)
    {
        var applied = await stateStore.LoadAsync(desired.Host, cancellationToken).ConfigureAwait(false);
        var configs = new Dictionary<string, ContainerConfigValues>(StringComparer.Ordinal);
        foreach (var (service, container) in StoredSecrets.ContainersToRestoreFrom(applied, desired, observed))
        {
            try
            {
                configs[service] = (await engine.InspectContainerAsync(container.Id, cancellationToken).ConfigureAwait(false)).ConfigValues;
            }
            catch (EngineNotFoundException)
            {
                // Removed since the list: nothing to go back to, as when the state held no spec.
            }
        }

        // The desired secrets join the restored ones: both are what the pass masks copied text with and
        // what the state file must not hold (a rolled-back container runs the old, restored values).
        var restored = StoredSecrets.RestoreFrom(applied, configs);
        return restored with { Secrets = restored.Secrets.With(desired.Secrets) };
    }

    /// <summary>
    /// The registry checks that are due (<see cref="Images.PullSchedule"/>), joined to the snapshot for the
    /// planner. Nothing due, nothing asked: an idle pass between scheduled checks costs no request.
    /// </summary>
    private async Task<ObservedState> CheckTagsAsync(DesiredState desired, ObservedState observed, AppliedState applied, CancellationToken cancellationToken)
    {
        if (tagChecker is null)
        {
            return observed;
        }

        var due = Images.PullSchedule.DueImages(desired, observed.ImageIds, applied.ImageChecks, timeProvider.GetUtcNow());
        if (due.IsEmpty)
        {
            return observed;
        }

        return observed with { TagChecks = await tagChecker.CheckAsync(due, observed.ImageRepoDigests, cancellationToken).ConfigureAwait(false) };
    }

    /// <summary>The last check time per desired image: this pass's answers over the previous ones; images that left the spec are forgotten.</summary>
    private static ImmutableSortedDictionary<string, DateTimeOffset> RecordImageChecks(AppliedState applied, DesiredState desired, Images.TagCheckResult checks)
    {
        var images = desired.AllServices.Select(service => service.Container.Image).ToHashSet(StringComparer.Ordinal);
        var merged = applied.ImageChecks.SetItems(checks.CheckedAt);
        return merged.RemoveRange(merged.Keys.Where(image => !images.Contains(image)).ToList()).WithComparers(StringComparer.Ordinal);
    }

    /// <summary>
    /// The drift check: one inspect per replica in <paramref name="scope"/> of a service the desired state
    /// runs (not a job's: its container is meant to exit, and the planner compares only long-lived replicas),
    /// for what only an inspect shows (<see cref="ContainerResources"/>). Opt-in, so a pass without it keeps
    /// the lists' constant cost. A few at once: an inspect waits for the container's lock while a health
    /// check runs, and one after another those waits add up (50 took 38 s under load, issue #16).
    /// </summary>
    private async Task<ObservedState> InspectForDriftAsync(DesiredState desired, ObservedState observed, DriftCheckScope scope, CancellationToken cancellationToken)
    {
        if (scope.IsNone)
        {
            return observed;
        }

        var compared = desired.AllServices.Where(service => !service.Job).Select(service => service.QualifiedName).ToHashSet(StringComparer.Ordinal);
        var resources = new ContainerResources?[observed.Containers.Length];
        var toInspect = Enumerable.Range(0, observed.Containers.Length)
            .Where(index => observed.Containers[index] is { IsReplica: true } container && compared.Contains(container.QualifiedService) && scope.Covers(container.Id))
            .ToList();
        await Parallel.ForEachAsync(toInspect, new ParallelOptions { MaxDegreeOfParallelism = DriftInspectsAtOnce, CancellationToken = cancellationToken }, async (index, token) =>
        {
            try
            {
                resources[index] = (await engine.InspectContainerAsync(observed.Containers[index].Id, token).ConfigureAwait(false)).Resources;
            }
            catch (EngineNotFoundException)
            {
                // Removed since the list: the plan creates it again from what the list said; nothing to compare.
            }
        }).ConfigureAwait(false);

        return observed with
        {
            Containers = [.. observed.Containers.Select((container, index) => resources[index] is { } found ? container with { Resources = found } : container)],
        };
    }

    private const int DriftInspectsAtOnce = 4;

    private async Task<ObservedState> ObserveAsync(DesiredState desired, CancellationToken cancellationToken)
    {
        var observed = await engine.ObserveAsync(desired.Host, desired.AllServices.Select(service => service.Container.Image), cancellationToken).ConfigureAwait(false);

        // `platform` is checked against the local image's: one image inspect per such image, none when no
        // service sets it (the image list that observe makes does not carry platforms).
        var platformImages = desired.AllServices.Where(service => service.Container.Platform is not null)
            .Select(service => service.Container.Image).Distinct(StringComparer.Ordinal).ToList();
        if (platformImages.Count == 0)
        {
            return observed;
        }

        var platforms = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var image in platformImages)
        {
            if (await engine.ImagePlatformAsync(image, cancellationToken).ConfigureAwait(false) is { } platform)
            {
                platforms[image] = platform;
            }
        }

        return observed with { ImagePlatforms = platforms.ToImmutable() };
    }

    /// <summary>
    /// Whether the record of a converged service would say again what <paramref name="before"/> says: the
    /// same config (hash), image, image id, revision and containers, and the same spec outside the container
    /// (replicas, rollout, dependencies...), which the config hash does not cover. The container part is
    /// compared by hash because the stored spec holds keyed hashes where the desired one holds values.
    /// </summary>
    private static bool RecordsTheSame(AppliedService before, ServiceSpec service, string? imageId, string revision, ImmutableSortedDictionary<int, string> containerIds) =>
        before.ConfigHash == service.ConfigHash
        && before.Image == service.Container.Image
        && before.ImageId == imageId
        && before.Revision == revision
        && before.ContainerIds.Count == containerIds.Count
        && before.ContainerIds.All(entry => containerIds.TryGetValue(entry.Key, out var id) && id == entry.Value)
        && before.Spec is { } stored
        && stored.SameOutsideContainer(service);

    /// <summary>Records every desired service that now fully matches; others keep their previous record (for rollback).</summary>
    private static AppliedState RecordServices(AppliedState applied, DesiredState desired, ObservedState after, string revision)
    {
        var services = applied.Services.ToBuilder();
        foreach (var service in desired.AllServices)
        {
            var containers = after.ReplicasOf(service).ToList();
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
            var before = services.GetValueOrDefault(service.QualifiedName);
            var containerIds = matching.Select(container => container!).ToImmutableSortedDictionary(container => container.Replica, container => container.Id);
            if (before is not null && RecordsTheSame(before, service, imageId, revision, containerIds))
            {
                // The same instance: the state file's write keeps it in the form it was stored in, without
                // hashing its spec again (StoredSecrets.ForStorage), which is most of a no-op pass's write.
                continue;
            }

            services[service.QualifiedName] = new AppliedService(
                service.ConfigHash,
                service.FieldHashes,
                service.Container.Image,
                imageId,
                revision,
                containerIds,
                service)
            {
                // The version this one replaced, when it ran another image: image garbage collection keeps it.
                PreviousImageId = before?.ImageId is { } previous && previous != imageId ? previous : before?.PreviousImageId,
            };
        }

        foreach (var gone in services.Keys.Where(key => !desired.AllServices.Any(service => service.QualifiedName == key)).ToList())
        {
            services.Remove(gone);
        }

        return applied with { Services = services.ToImmutable() };
    }
}
