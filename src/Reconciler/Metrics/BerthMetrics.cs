using System.Collections.Immutable;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Git;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Prometheus;

namespace Berth.Reconciler.Metrics;

/// <summary>
/// Everything berth exports to Prometheus, recorded from the results the stages already return
/// (ApplyResult, FetchResult, SignatureCheck), so the reconcile code itself knows nothing of metrics.
/// Names and label values are a contract with the dashboard and the alerts: see docs/metrics.md.
/// Habits: base units (`_seconds`), counters end in `_total`, labels are low-cardinality and fixed
/// (stack, service, result; never a container id), every known label value starts at zero, and the
/// series of a service that left the spec are removed. Host identity is not a label: it comes from
/// Prometheus' target labels (`instance`, and `host` in the scrape config).
/// Thread-safe: the daemon may record webhooks while a pass runs.
/// </summary>
public sealed class BerthMetrics
{
    private static readonly string[] ServiceLabels = ["stack", "service"];

    // Reconcile passes take from milliseconds (nothing to do) to minutes (health-gated rollouts).
    private static readonly double[] PassBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    // A rollout includes health gates and monitor windows: seconds to many minutes.
    private static readonly double[] RolloutBuckets = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200];

    // A fetch is an ls-remote on an idle poll, or a download bounded by the fetch timeout (60 s by default).
    private static readonly double[] FetchBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly TimeProvider timeProvider;
    private readonly Lock gate = new();

    private readonly Counter passes;
    private readonly Histogram passDuration;
    private readonly Gauge lastSuccessfulPass;
    private readonly Gauge appliedRevision;
    private readonly Gauge converged;
    private readonly Counter fetches;
    private readonly Counter fetchFailures;
    private readonly Histogram fetchDuration;
    private readonly Counter commitsRefused;
    private readonly Counter rollouts;
    private readonly Histogram rolloutDuration;
    private readonly Counter healthGateFailures;
    private readonly Counter driftRepairs;
    private readonly Gauge replicasDesired;
    private readonly Gauge replicasRunning;
    private readonly Gauge serviceImage;

    // The one `berth_service_image_info` series per service (its label values), so a new image replaces it. Guarded by `gate`.
    private readonly Dictionary<(string Stack, string Service), string[]> serviceImageLabels = [];
    private readonly Gauge serviceHealthy;
    private readonly Gauge orphanedVolumes;
    private readonly Counter webhookDeliveries;
    private readonly Counter dockerApiErrors;
    private readonly Counter observations;
    private readonly Gauge revisionHealthySince;
    private readonly Gauge failedRevision;
    private readonly Gauge wave;
    private readonly Gauge waveHeld;

    // Guarded by `gate`.
    private readonly HashSet<(string Stack, string Service)> services = [];
    private readonly Dictionary<CommitRefusalReason, string> lastRefusedRevision = [];
    private string? currentRevision;
    private string? healthyRevision;
    private string? lastFailedRevision;

    /// <param name="registry">Where the metrics live. Default: prometheus-net's default registry, which the daemon serves at /metrics and which also carries process_* metrics.</param>
    /// <param name="timeProvider">Clock for the last-successful-pass timestamp. Default: the system clock.</param>
    public BerthMetrics(CollectorRegistry? registry = null, TimeProvider? timeProvider = null)
    {
        this.timeProvider = timeProvider ?? TimeProvider.System;
        var factory = global::Prometheus.Metrics.WithCustomRegistry(registry ?? global::Prometheus.Metrics.DefaultRegistry);

        passes = factory.CreateCounter("berth_reconcile_passes_total",
            "Reconcile passes by result: converged, up_to_date, failed, refused, skipped_failed_revision, transient_failure, error.",
            new CounterConfiguration { LabelNames = ["result"] });
        passDuration = factory.CreateHistogram("berth_reconcile_duration_seconds",
            "Wall time of a reconcile pass (observe, plan, execute, record).",
            new HistogramConfiguration { Buckets = PassBuckets });
        lastSuccessfulPass = factory.CreateGauge("berth_last_successful_pass_timestamp_seconds",
            "Unix time of the last pass that ended converged or up to date; 0 before the first.");
        appliedRevision = factory.CreateGauge("berth_applied_revision_info",
            "Always 1; the revision label is the revision last applied successfully.",
            new GaugeConfiguration { LabelNames = ["revision"] });
        converged = factory.CreateGauge("berth_converged",
            "1 when the last pass left the host matching its desired state, else 0.");
        fetches = factory.CreateCounter("berth_git_fetches_total",
            "Git fetches by result: updated (new tip), unchanged (idle poll), failed.",
            new CounterConfiguration { LabelNames = ["result"] });
        fetchFailures = factory.CreateCounter("berth_git_fetch_failures_total",
            "Failed git fetches by reason (timeout, network_error, authentication_failed, ...).",
            new CounterConfiguration { LabelNames = ["reason"] });
        fetchDuration = factory.CreateHistogram("berth_git_fetch_duration_seconds",
            "Wall time of a git fetch (remote check plus download), failed ones included.",
            new HistogramConfiguration { Buckets = FetchBuckets });
        commitsRefused = factory.CreateCounter("berth_commits_refused_total",
            "Commits not applied, by reason: invalid, unsigned, bad_signature, failed_before, unsafe. Repeated refusals of one commit count once.",
            new CounterConfiguration { LabelNames = ["reason"] });
        rollouts = factory.CreateCounter("berth_rollouts_total",
            "Per service: passes that changed it, by result: succeeded, rolled_back, paused, failed, interrupted (engine or registry unreachable; retried).",
            new CounterConfiguration { LabelNames = ["stack", "service", "result"] });
        rolloutDuration = factory.CreateHistogram("berth_rollout_duration_seconds",
            "Per service: wall time of its changes in a pass, health gates and any rollback included.",
            new HistogramConfiguration { LabelNames = ServiceLabels, Buckets = RolloutBuckets });
        healthGateFailures = factory.CreateCounter("berth_health_gate_failures_total",
            "Per service: containers that failed their health gate (exited, unhealthy, not healthy in time).",
            new CounterConfiguration { LabelNames = ServiceLabels });
        driftRepairs = factory.CreateCounter("berth_drift_repairs_total",
            "Per service: containers restarted, re-created or replaced because they were changed outside berth.",
            new CounterConfiguration { LabelNames = ServiceLabels });
        replicasDesired = factory.CreateGauge("berth_service_replicas_desired",
            "Per service: replicas the desired state asks for.",
            new GaugeConfiguration { LabelNames = ServiceLabels });
        replicasRunning = factory.CreateGauge("berth_service_replicas_running",
            "Per service: containers running at the end of the last pass.",
            new GaugeConfiguration { LabelNames = ServiceLabels });
        serviceImage = factory.CreateGauge("berth_service_image_info",
            "Per service: 1, labelled with the image it runs: image (as the spec writes it), image_id (local id) and digest (the registry's, empty when the image came from none). One series per service.",
            new GaugeConfiguration { LabelNames = ["stack", "service", "image", "image_id", "digest"] });
        serviceHealthy = factory.CreateGauge("berth_service_healthy",
            "Per service: 1 when the desired number of replicas runs and every one is healthy (or has no health check), else 0.",
            new GaugeConfiguration { LabelNames = ServiceLabels });
        orphanedVolumes = factory.CreateGauge("berth_orphaned_volumes",
            "Named volumes that left the spec and are kept (berth never removes data implicitly).");
        webhookDeliveries = factory.CreateCounter("berth_webhook_deliveries_total",
            "Webhook deliveries by provider (github, gitlab, gitea) and result (triggered, ignored, pong, rejected).",
            new CounterConfiguration { LabelNames = ["provider", "result"] });
        dockerApiErrors = factory.CreateCounter("berth_docker_api_errors_total",
            "Docker Engine calls that failed (error answer, unreachable, timeout), by operation.",
            new CounterConfiguration { LabelNames = ["operation"] });
        observations = factory.CreateCounter("berth_observe_total",
            "Observations of the host by the daemon's passes, by source: cache (the informer's snapshot, no Engine API request) or engine (the engine's lists).",
            new CounterConfiguration { LabelNames = ["source"] });

        revisionHealthySince = factory.CreateGauge("berth_revision_healthy_since_timestamp_seconds",
            "Unix time since which the revision label, the one applied, has run converged and healthy without a break; no series while it does not. Later waves gate on it.",
            new GaugeConfiguration { LabelNames = ["revision"] });
        failedRevision = factory.CreateGauge("berth_failed_revision_info",
            "Always 1; the revision label is the last revision whose rollout failed here (rolled back or held back). Later waves hold it.",
            new GaugeConfiguration { LabelNames = ["revision"] });
        wave = factory.CreateGauge("berth_wave",
            "This host's wave in a staged rollout, from the followed commit's inventory; 0 when it is in none.");
        waveHeld = factory.CreateGauge("berth_wave_held",
            "1 for the reason the host holds its last proven commit instead of the followed one (waiting, soaking, failed, source_unavailable); all 0 when it is not held.",
            new GaugeConfiguration { LabelNames = ["reason"] });

        // Every known label value starts at zero: a first failure is then an increase from 0, which
        // rate() and increase() can see, and dashboards show 0 instead of "no data".
        foreach (var result in MetricLabels.PassResults)
        {
            passes.WithLabels(result);
        }

        foreach (var result in MetricLabels.FetchResults)
        {
            fetches.WithLabels(result);
        }

        foreach (var reason in MetricLabels.GitFailureReasons)
        {
            fetchFailures.WithLabels(reason);
        }

        foreach (var reason in MetricLabels.CommitRefusalReasons)
        {
            commitsRefused.WithLabels(reason);
        }

        foreach (var provider in MetricLabels.WebhookProviders)
        {
            foreach (var result in MetricLabels.WebhookResults)
            {
                webhookDeliveries.WithLabels(provider, result);
            }
        }

        foreach (var operation in MetricLabels.EngineOperations)
        {
            dockerApiErrors.WithLabels(operation);
        }

        foreach (var source in Enum.GetValues<ObserveSource>())
        {
            observations.WithLabels(ObserveSourceLabel(source));
        }

        foreach (var reason in MetricLabels.WaveHoldReasons)
        {
            waveHeld.WithLabels(reason).Set(0);
        }
    }

    /// <summary>
    /// Records one reconcile pass from its result: pass counters and duration, convergence, the
    /// applied revision, per-service rollouts, health-gate failures, drift repairs, replicas and
    /// health, orphaned volumes, and a refusal when the revision failed before or was unsafe.
    /// </summary>
    /// <param name="desired">The desired state the pass applied.</param>
    /// <param name="duration">Wall time of the whole pass, as the caller measured it.</param>
    public void RecordPass(DesiredState desired, ApplyResult result, TimeSpan duration)
    {
        passes.WithLabels(MetricLabels.Of(result.Outcome)).Inc();
        passDuration.Observe(duration.TotalSeconds);

        var succeeded = result.Verdict.Succeeded;
        if (succeeded)
        {
            lastSuccessfulPass.Set(timeProvider.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
            SetAppliedRevision(result.Revision);
        }
        else if (result.Outcome == ApplyOutcome.SkippedFailedRevision)
        {
            RecordCommitRefused(CommitRefusalReason.FailedBefore, result.Revision);
            SetFailedRevision(result.Revision);
        }
        else if (!result.Verdict.HeldServices.IsEmpty)
        {
            SetFailedRevision(result.Revision);
        }
        else if (result.Outcome == ApplyOutcome.Refused)
        {
            RecordCommitRefused(CommitRefusalReason.Unsafe, result.Revision);
        }

        // Warn-only drift leaves a pass "up to date" although the host differs from the spec.
        var driftLeft = result.Plan.Notices.Any(notice => notice.Kind == PlanNoticeKind.Drift);
        converged.Set(succeeded && !driftLeft ? 1 : 0);
        SetRevisionHealth(succeeded && !driftLeft ? result.Revision : null);
        SetOrphanedVolumes(result.Plan.Notices.Count(notice => notice.Kind == PlanNoticeKind.OrphanedVolume));

        // A refused state (e.g. an empty one) says nothing about which services should run: keep
        // the service series as they were instead of removing every one of them.
        if (result.Outcome != ApplyOutcome.Refused && result.Observed is { } observed)
        {
            SetServiceState(desired, observed);
        }

        if (result.Report is { } report)
        {
            RecordExecution(desired, report);
        }
    }

    /// <summary>A pass that ended before the reconciler returned a result (git failed, the spec did not load, an exception). Leaves convergence as it was.</summary>
    public void RecordPassError(TimeSpan duration)
    {
        passes.WithLabels(MetricLabels.PassError).Inc();
        passDuration.Observe(duration.TotalSeconds);
    }

    /// <summary>One <see cref="GitSource.FetchAsync"/>: result, duration, and the reason when it failed.</summary>
    public void RecordFetch(FetchResult fetch)
    {
        var result = fetch.Error is not null ? "failed" : fetch.TipChanged ? "updated" : "unchanged";
        fetches.WithLabels(result).Inc();
        fetchDuration.Observe(fetch.Duration.TotalSeconds);
        if (fetch.Error is { } failure)
        {
            fetchFailures.WithLabels(MetricLabels.Of(failure.Reason)).Inc();
        }
    }

    /// <summary>
    /// The result of <see cref="GitSourcePass.FetchVerifiedTreeAsync"/>: its fetch, and its signature
    /// verdict when there was one. (Export failures are not commit refusals: the pass records an error.)
    /// </summary>
    public void RecordGitRevision(GitRevision revision)
    {
        RecordFetch(revision.Fetch);
        if (revision.Signature is { } signature)
        {
            RecordSignatureCheck(signature);
        }
    }

    /// <summary>A signature verdict; only a refusal (unsigned, bad signature) is counted.</summary>
    public void RecordSignatureCheck(SignatureCheck check)
    {
        switch (check.Status)
        {
            case SignatureStatus.Unsigned:
                RecordCommitRefused(CommitRefusalReason.Unsigned, check.CommitSha);
                break;
            case SignatureStatus.Invalid:
                RecordCommitRefused(CommitRefusalReason.BadSignature, check.CommitSha);
                break;
        }
    }

    /// <summary>
    /// A commit not applied. Repeated refusals of the same commit for the same reason count once: the
    /// daemon sees the same refused tip on every poll until somebody pushes, and that is one refused
    /// commit, not one per poll. (Only the last commit per reason is remembered, so memory stays flat.)
    /// </summary>
    public void RecordCommitRefused(CommitRefusalReason reason, string revision)
    {
        lock (gate)
        {
            if (lastRefusedRevision.TryGetValue(reason, out var last) && last == revision)
            {
                return;
            }

            lastRefusedRevision[reason] = revision;
        }

        commitsRefused.WithLabels(MetricLabels.Of(reason)).Inc();
    }

    /// <summary>
    /// One webhook delivery, as the daemon answered it. Provider and result outside the known sets
    /// (docs/metrics.md) are counted as "other": a label never takes a value from a request.
    /// </summary>
    public void RecordWebhook(string provider, string result) =>
        webhookDeliveries.WithLabels(
            MetricLabels.Known(provider, MetricLabels.WebhookProviders),
            MetricLabels.Known(result, MetricLabels.WebhookResults)).Inc();

    /// <summary>A failed engine call; <see cref="MeteredContainerEngine"/> records these for every engine operation.</summary>
    public void RecordDockerApiError(EngineOperation operation) =>
        dockerApiErrors.WithLabels(MetricLabels.Of(operation)).Inc();

    /// <summary>One observation of the host by a daemon pass, from the informer's cache or the engine's lists.</summary>
    public void RecordObserve(ObserveSource source) =>
        observations.WithLabels(ObserveSourceLabel(source)).Inc();

    private static string ObserveSourceLabel(ObserveSource source) => source == ObserveSource.Cache ? "cache" : "engine";

    /// <summary>
    /// Desired vs running replicas and health per service. Services that left the desired state lose
    /// all their series (gauges and counters alike); new ones start with every counter at zero.
    /// </summary>
    public void SetServiceState(DesiredState desired, ObservedState observed)
    {
        var statuses = ServiceReplicaStatus.From(desired, observed);
        lock (gate)
        {
            var current = statuses.Select(status => (status.Stack, status.Service)).ToHashSet();
            foreach (var gone in services.Where(service => !current.Contains(service)).ToList())
            {
                RemoveServiceSeries(gone.Stack, gone.Service);
                services.Remove(gone);
            }

            foreach (var status in statuses)
            {
                SetServiceGauges(status);
            }
        }
    }

    /// <summary>
    /// For a pass that ended before it loaded a desired state (git unreachable, invalid commit): the
    /// replicas and health of the services last applied, against a fresh engine snapshot, so a
    /// container that dies during a git outage shows. Removes no series: such a pass does not know
    /// which services left the spec (a service whose every rollout failed keeps its last values).
    /// A service short of replicas or unhealthy also clears <c>berth_converged</c>: the host no longer
    /// matches even the last applied state (a stuck source must not hide a dead container). All well
    /// leaves it as it was: whether the unapplied tip would change anything is not known.
    /// </summary>
    public void RefreshServiceState(DesiredState lastApplied, ObservedState observed)
    {
        var statuses = ServiceReplicaStatus.From(lastApplied, observed);
        lock (gate)
        {
            foreach (var status in statuses)
            {
                SetServiceGauges(status);
            }

            if (statuses.Any(status => status.Degraded))
            {
                converged.Set(0);
                SetRevisionHealth(null);
            }
        }
    }

    public void SetOrphanedVolumes(int count) => orphanedVolumes.Set(count);

    /// <summary>The info metric: one series with value 1, labelled with the revision; the previous revision's series is removed.</summary>
    public void SetAppliedRevision(string revision)
    {
        lock (gate)
        {
            if (currentRevision == revision)
            {
                return;
            }

            if (currentRevision is not null)
            {
                appliedRevision.RemoveLabelled(currentRevision);
            }

            currentRevision = revision;
            appliedRevision.WithLabels(revision).Set(1);
        }
    }

    /// <summary>
    /// At daemon start, from the persisted state: the applied revision, the time of the last
    /// successful pass and whether the last recorded attempt converged, so a restart does not look
    /// like a host that never converged (nor hide one that had not).
    /// </summary>
    public void RestoreFrom(AppliedState state)
    {
        // Drift left in warn-only mode is not in the state file: a restart reads such a host as
        // converged until its first pass plans again (seconds later).
        converged.Set(state.LastAttemptConverged ? 1 : 0);

        if (state.LastAppliedRevision is { } revision)
        {
            SetAppliedRevision(revision);
        }

        if (state.LastAppliedAt is { } at)
        {
            lastSuccessfulPass.Set(at.ToUnixTimeMilliseconds() / 1000.0);
        }

        // Healthy since the restart, not since before it: nobody watched in between, so a later wave's
        // soak starts over rather than trusting a gap.
        if (state.LastAttemptConverged && state.LastAppliedRevision is { } healthy)
        {
            SetRevisionHealth(healthy);
        }

        if (state.LastAttemptedRevision is { } attempted && state.FailedRevisions.ContainsKey(attempted))
        {
            SetFailedRevision(attempted);
        }
    }

    /// <summary>
    /// The staged-rollout gauges of one pass: the host's wave (0: none) and, when it holds its last
    /// proven commit instead of the followed one, why (null: not held).
    /// </summary>
    public void SetWave(int? hostWave, Waves.WaveHoldReason? heldFor)
    {
        wave.Set(hostWave ?? 0);
        var held = heldFor is { } reason ? MetricLabels.Of(reason) : null;
        foreach (var label in MetricLabels.WaveHoldReasons)
        {
            waveHeld.WithLabels(label).Set(label == held ? 1 : 0);
        }
    }

    /// <summary>
    /// The revision that runs converged and healthy now (null: none does): its series keeps the time it
    /// first did, so the value is the start of an unbroken healthy run; any break removes it.
    /// </summary>
    private void SetRevisionHealth(string? revision)
    {
        lock (gate)
        {
            if (healthyRevision == revision)
            {
                return;
            }

            if (healthyRevision is not null)
            {
                revisionHealthySince.RemoveLabelled(healthyRevision);
            }

            healthyRevision = revision;
            if (revision is not null)
            {
                revisionHealthySince.WithLabels(revision).Set(timeProvider.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
            }
        }
    }

    private void SetFailedRevision(string revision)
    {
        lock (gate)
        {
            if (lastFailedRevision == revision)
            {
                return;
            }

            if (lastFailedRevision is not null)
            {
                failedRevision.RemoveLabelled(lastFailedRevision);
            }

            lastFailedRevision = revision;
            failedRevision.WithLabels(revision).Set(1);
        }
    }

    private void RecordExecution(DesiredState desired, ExecutionReport report)
    {
        // Only desired services get per-service series: a removed service's "rollout" is its
        // removal, and its series were just dropped.
        var desiredServices = desired.AllServices.ToImmutableDictionary(service => service.QualifiedName, service => service, StringComparer.Ordinal);

        foreach (var outcome in report.Services)
        {
            if (desiredServices.TryGetValue(outcome.QualifiedService, out var service))
            {
                var result = outcome.Result != RolloutResult.Succeeded && outcome.Failure == FailureKind.Transient
                    ? MetricLabels.RolloutInterrupted
                    : MetricLabels.Of(outcome.Result);
                rollouts.WithLabels(service.Stack, service.Name, result).Inc();
                rolloutDuration.WithLabels(service.Stack, service.Name).Observe(outcome.Duration.TotalSeconds);
            }
        }

        foreach (var step in report.Steps)
        {
            // A failed wait for a healthy dependency is the dependency's gate failure, not the dependent's.
            var owner = step.Step is WaitHealthyStep wait ? wait.Service.QualifiedName : step.Step.QualifiedService;
            if (owner is not { } qualifiedService || !desiredServices.TryGetValue(qualifiedService, out var service))
            {
                continue;
            }

            if (step.Result == StepResult.Failed && step.Evidence is not null)
            {
                healthGateFailures.WithLabels(service.Stack, service.Name).Inc();
            }
            else if (step.Result == StepResult.Succeeded && step.Step.RepairsDrift)
            {
                driftRepairs.WithLabels(service.Stack, service.Name).Inc();
            }
        }
    }

    // Caller holds `gate`.
    private void SetServiceGauges(ServiceReplicaStatus status)
    {
        if (services.Add((status.Stack, status.Service)))
        {
            InitialiseServiceSeries(status.Stack, status.Service);
        }

        replicasDesired.WithLabels(status.Stack, status.Service).Set(status.DesiredReplicas);
        replicasRunning.WithLabels(status.Stack, status.Service).Set(status.RunningReplicas);
        serviceHealthy.WithLabels(status.Stack, status.Service).Set(status.Healthy ? 1 : 0);
        SetServiceImage(status);
    }

    // Caller holds `gate`. No running replica: the series stays as it was (what ran last), like the replica gauges' last pass.
    private void SetServiceImage(ServiceReplicaStatus status)
    {
        if (status.Image is not { ImageId: { } imageId } image)
        {
            return;
        }

        string[] labels = [status.Stack, status.Service, image.Reference, imageId, image.Digest ?? ""];
        var key = (status.Stack, status.Service);
        if (serviceImageLabels.TryGetValue(key, out var previous))
        {
            if (previous.SequenceEqual(labels))
            {
                return;
            }

            serviceImage.RemoveLabelled(previous);
        }

        serviceImageLabels[key] = labels;
        serviceImage.WithLabels(labels).Set(1);
    }

    private void InitialiseServiceSeries(string stack, string service)
    {
        foreach (var result in MetricLabels.RolloutResults)
        {
            rollouts.WithLabels(stack, service, result);
        }

        rolloutDuration.WithLabels(stack, service);
        healthGateFailures.WithLabels(stack, service);
        driftRepairs.WithLabels(stack, service);
    }

    private void RemoveServiceSeries(string stack, string service)
    {
        foreach (var result in MetricLabels.RolloutResults)
        {
            rollouts.RemoveLabelled(stack, service, result);
        }

        rolloutDuration.RemoveLabelled(stack, service);
        healthGateFailures.RemoveLabelled(stack, service);
        driftRepairs.RemoveLabelled(stack, service);
        replicasDesired.RemoveLabelled(stack, service);
        replicasRunning.RemoveLabelled(stack, service);
        serviceHealthy.RemoveLabelled(stack, service);
        if (serviceImageLabels.Remove((stack, service), out var imageLabels))
        {
            serviceImage.RemoveLabelled(imageLabels);
        }
    }
}
