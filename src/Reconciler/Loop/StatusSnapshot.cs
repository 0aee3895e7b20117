using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Reconciler.Loop;

// What `/status` serves and `berth status` renders: the GitOps story (Flux's habit) of one host.
// Collections are IReadOnlyList (not ImmutableArray) so that a document missing a field deserialises
// to something enumerable; the records are immutable by convention: the status board replaces, never mutates.

/// <summary>The status of one berth host at one moment.</summary>
/// <param name="Host">The host identity (config `host`, default the machine's hostname).</param>
/// <param name="Version">berth's version.</param>
/// <param name="StartedAt">When this daemon process started.</param>
/// <param name="LastAttempted">The last completed pass, whatever its outcome (Flux: lastAttemptedRevision).</param>
/// <param name="LastApplied">The last revision a pass brought the host to (Flux: lastAppliedRevision).</param>
/// <param name="Conditions">Ready, Reconciling, Stalled, in that order.</param>
/// <param name="Services">Per-service status from the last pass that observed the host, sorted by stack then service.</param>
/// <param name="History">The last passes, newest first.</param>
/// <param name="Loop">The reconcile loop itself: is a pass running, when is the next one due.</param>
public sealed record StatusSnapshot(
    string Host,
    string Version,
    DateTimeOffset StartedAt,
    PassRecord? LastAttempted,
    AppliedRevision? LastApplied,
    IReadOnlyList<Condition> Conditions,
    IReadOnlyList<ServiceStatus> Services,
    IReadOnlyList<PassRecord> History,
    LoopState Loop);

/// <summary>One completed pass.</summary>
/// <param name="Number">1 for the first pass of this process, then increasing.</param>
public sealed record PassRecord(
    long Number,
    PassTrigger Trigger,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    PassOutcome Outcome,
    string? Revision,
    string Summary,
    string Reason);

/// <summary>A revision the host was brought to, and when.</summary>
public sealed record AppliedRevision(string Revision, DateTimeOffset AppliedAt);

/// <summary>Condition types, as in Flux.</summary>
public static class ConditionTypes
{
    public const string Ready = "Ready";
    public const string Reconciling = "Reconciling";
    public const string Stalled = "Stalled";
}

public enum ConditionStatus { True, False, Unknown }

/// <summary>A Flux-style condition.</summary>
/// <param name="Since">When <see cref="Status"/> last changed (Kubernetes: lastTransitionTime).</param>
public sealed record Condition(string Type, ConditionStatus Status, string Reason, string Message, DateTimeOffset Since);

/// <summary>One service on this host.</summary>
/// <param name="Running">Containers of this service that are running.</param>
/// <param name="Healthy">Running containers whose health check passes (or that have none).</param>
/// <param name="LastRollout">
/// The last rollout of this service, kept across later passes until a newer rollout of the service
/// replaces it; null if this daemon process has not rolled it out (rollout evidence is not persisted).
/// </param>
public sealed record ServiceStatus(
    string Stack,
    string Service,
    int DesiredReplicas,
    int Running,
    int Healthy,
    RolloutRecord? LastRollout)
{
    /// <summary>
    /// The image it runs: its `image:`, the local image id and, when the image came from a registry,
    /// the registry's digest (<see cref="Images.RunningImage"/>). Null before a pass observed it.
    /// </summary>
    public Images.RunningImage? Image { get; init; }

    /// <summary>
    /// Set for a one-shot job (a dependant waits for its exit 0): how its replicas last exited, by
    /// replica; null for a long-lived service. A job's <see cref="Healthy"/> counts replicas that exited 0.
    /// </summary>
    public JobStatus? Job { get; init; }
}

/// <summary>A one-shot job's last run as the engine holds it.</summary>
/// <param name="LastExitCode">The highest exit code of its replicas' exited containers (0 when all succeeded); null when none has exited yet.</param>
/// <param name="Exited">Replicas whose container of the current run has exited.</param>
public sealed record JobStatus(int? LastExitCode, int Exited);

/// <summary>
/// How a service's last rollout stands, as `/status` shows it (the executor's own
/// <c>Execution.RolloutResult</c> maps onto it; a separate name so both can be used side by side).
/// </summary>
public enum RolloutState { Succeeded, Failed, RolledBack, Paused }

/// <summary>A rollout of one service.</summary>
/// <param name="Evidence">
/// For a failed health gate: exit code, the last log lines, the health-check output (testcontainers'
/// habit). Multi-line; the desired state's secret values masked (ExecutionReport.MaskedWith), but what
/// else the application prints is shown as it printed it: only with the API token (docs/security.md).
/// </param>
public sealed record RolloutRecord(RolloutState Result, string? Revision, DateTimeOffset? At, string? Evidence);

/// <summary>The loop's own state.</summary>
/// <param name="ConsecutiveFailures">Failed passes (outcome Failed or an exception) since the last one that was not; drives the backoff.</param>
/// <param name="PassExceptions">Passes that threw, since the daemon started.</param>
public sealed record LoopState(
    bool PassRunning,
    PassTrigger? CurrentTrigger,
    DateTimeOffset? CurrentPassStartedAt,
    DateTimeOffset? NextPassDueAt,
    int ConsecutiveFailures,
    long PassExceptions);

/// <summary>Source-generated JSON for the status document and the `/sync` answer (no reflection; trim-safe).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StatusSnapshot))]
[JsonSerializable(typeof(PassRecord))]
public sealed partial class StatusJsonContext : JsonSerializerContext;
