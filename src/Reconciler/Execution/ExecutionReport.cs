using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Health;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Execution;

public enum StepResult
{
    Succeeded,
    Failed,
    Skipped,
}

public sealed record StepOutcome(PlanStep Step, StepResult Result, string Message, GateEvidence? Evidence = null)
{
    /// <summary>Why a failed step failed; <see cref="FailureKind.None"/> when it did not.</summary>
    public FailureKind Failure { get; init; }
}

/// <summary>
/// Why something failed. It decides what the pass records: only <see cref="Unhealthy"/> is held
/// against the revision (docs/reconcile.md, "Failed revisions").
/// </summary>
public enum FailureKind
{
    None,

    /// <summary>
    /// The revision's own containers did not become healthy (health gate failed, rolled back, paused):
    /// the revision is bad for this service, and it is not re-applied until it changes or an operator forces it.
    /// </summary>
    Unhealthy,

    /// <summary>The engine or the registry did not answer (unreachable, 5xx, timeout, pull network error): the pass is retried with backoff.</summary>
    Transient,

    /// <summary>
    /// Something about the host, not the revision: the engine refused a call (4xx), a dependency is not
    /// healthy, a dependency failed in this pass. Re-planned on every pass; nothing is recorded.
    /// </summary>
    Host,
}

public enum RolloutResult
{
    Succeeded,
    RolledBack,
    Paused,
    Failed,
}

/// <summary>How one service's changes went; Evidence is set when a health gate failed.</summary>
public sealed record ServiceOutcome(string QualifiedService, RolloutResult Result, string Message, GateEvidence? Evidence)
{
    /// <summary>Wall time of the service's group of steps (waits, creates, health gates, rollout and any rollback).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// Why it did not succeed. Defaults to <see cref="FailureKind.Unhealthy"/> for a rollout that did not
    /// succeed (the rollout runner only fails on evidence from a health gate); callers set the others.
    /// </summary>
    public FailureKind Failure { get; init; } = Result == RolloutResult.Succeeded ? FailureKind.None : FailureKind.Unhealthy;
}

public sealed record ExecutionReport(ImmutableArray<StepOutcome> Steps, ImmutableArray<ServiceOutcome> Services)
{
    /// <summary>
    /// The report with every text that was copied from elsewhere (evidence, messages quoting the engine)
    /// masked with the desired state's secret values: what the CLI prints, the daemon logs and /status shows.
    /// </summary>
    public ExecutionReport MaskedWith(Spec.SecretValues secrets) => secrets.Count == 0 ? this : new ExecutionReport(
        [.. Steps.Select(step => step with { Message = secrets.Mask(step.Message), Evidence = step.Evidence?.MaskedWith(secrets) })],
        [.. Services.Select(service => service with { Message = secrets.Mask(service.Message), Evidence = service.Evidence?.MaskedWith(secrets) })]);

    public bool Succeeded => Steps.All(step => step.Result == StepResult.Succeeded)
        && Services.All(service => service.Result == RolloutResult.Succeeded);

    /// <summary>Services whose own new containers failed their health gate in this pass: what the revision is held for.</summary>
    public ImmutableArray<string> UnhealthyServices =>
        [.. Services.Where(service => service.Result != RolloutResult.Succeeded && service.Failure == FailureKind.Unhealthy)
            .Select(service => service.QualifiedService).Order(StringComparer.Ordinal)];

    /// <summary>True when something failed only because the engine or a registry did not answer.</summary>
    public bool HasTransientFailure =>
        Services.Any(service => service.Result != RolloutResult.Succeeded && service.Failure == FailureKind.Transient)
        || Steps.Any(step => step.Result == StepResult.Failed && step.Failure == FailureKind.Transient);
}

/// <summary>What the executor needs besides the plan.</summary>
/// <param name="DrainPeriod">
/// Start-first: time between taking the old container out of DNS and stopping it, so clients that
/// resolved it just before can finish. Default 1 s.
/// </param>
public sealed record ExecutionScope(
    ResourceOwner Owner,
    TimeSpan DrainPeriod)
{
    /// <summary>
    /// Puts the last applied revision's files back into the live directory (idempotent), called
    /// before a previous container or spec is started again once the revision is certain to fail, so
    /// the old container does not start on the failed revision's files. Null: no live directory (a
    /// directory source).
    /// </summary>
    public Action? RestorePreviousFiles { get; init; }

    /// <summary>"stack/service" of the services that have a front or get one in this pass (<see cref="Fronts.FrontRouter"/>).</summary>
    public ImmutableHashSet<string> ServicesWithFront { get; init; } = [];
}

/// <summary>One line of progress, as `berth apply` prints it and the daemon logs it.</summary>
public sealed record ProgressEvent(string? QualifiedService, string Message);
