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

public sealed record StepOutcome(PlanStep Step, StepResult Result, string Message, GateEvidence? Evidence = null);

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
}

public sealed record ExecutionReport(ImmutableArray<StepOutcome> Steps, ImmutableArray<ServiceOutcome> Services)
{
    public bool Succeeded => Steps.All(step => step.Result == StepResult.Succeeded)
        && Services.All(service => service.Result == RolloutResult.Succeeded);
}

/// <summary>What the executor needs besides the plan.</summary>
/// <param name="PreviousSpecs">Last applied spec per service ("stack/service"), for rollback.</param>
/// <param name="DrainPeriod">
/// Start-first: time between taking the old container out of DNS and stopping it, so clients that
/// resolved it just before can finish. Default 1 s.
/// </param>
public sealed record ExecutionScope(
    ResourceOwner Owner,
    ImmutableDictionary<string, ServiceSpec> PreviousSpecs,
    TimeSpan DrainPeriod)
{
    /// <summary>
    /// Puts the last applied revision's files back into the live directory (idempotent), called
    /// before a previous container or spec is started again once the revision is certain to fail, so
    /// the old container does not start on the failed revision's files. Null: no live directory (a
    /// directory source).
    /// </summary>
    public Action? RestorePreviousFiles { get; init; }
}

/// <summary>One line of progress, as `berth apply` prints it and the daemon logs it.</summary>
public sealed record ProgressEvent(string? QualifiedService, string Message);
