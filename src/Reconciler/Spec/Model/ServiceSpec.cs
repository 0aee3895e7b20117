using System.Collections.Immutable;

namespace Berth.Reconciler.Spec.Model;

/// <summary>One Compose service: what to run, how many, and how to roll it out.</summary>
/// <param name="Stack">The stack the service belongs to.</param>
/// <param name="Name">The service key in the Compose file.</param>
/// <param name="Replicas">`deploy.replicas`, default 1. 0 is allowed (service kept, no container).</param>
/// <param name="Container">Everything that shapes the container; hashed into <see cref="ConfigHash"/>.</param>
/// <param name="Update">`deploy.update_config`.</param>
/// <param name="Rollback">`deploy.rollback_config`.</param>
/// <param name="DependsOn">Sorted by service name.</param>
public sealed record ServiceSpec(
    string Stack,
    string Name,
    int Replicas,
    ContainerSpec Container,
    RolloutPolicy Update,
    RolloutPolicy Rollback,
    ImmutableArray<ServiceDependency> DependsOn,
    PullPolicy PullPolicy)
{
    // The hashes are a function of Container and Front, never stored state: a `with` copy (which copies
    // every field, a cache's too) must not carry the hash of the spec it was copied from, since the hash
    // decides whether containers are re-created. The cache remembers which Container (by reference; it
    // is immutable) and Front it was computed from, so a copy with another container recomputes, and a
    // copy that changed only replicas or rollout reuses it. It takes no part in equality (HashCache).
    private HashCache hashes;

    /// <summary>Hash of <see cref="Container"/> (and <see cref="Front"/>); see <see cref="ConfigHasher"/>.</summary>
    public string ConfigHash => Hashes().ConfigHash;

    /// <summary>Per-field hashes of <see cref="Container"/>, so a plan can say which field changed.</summary>
    public ImmutableSortedDictionary<string, string> FieldHashes => Hashes().FieldHashes;

    /// <summary>
    /// `x-berth: { drain: 2s }`: how long a replaced container keeps running after it left the
    /// network aliases, so in-flight requests finish. Default 0. Not hashed (rollout behaviour).
    /// </summary>
    public TimeSpan Drain { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// `x-berth: { job_timeout: 30m }`: how long a one-shot job (a service another depends on with
    /// `service_completed_successfully`) may run before berth stops it and fails it, so a job that never
    /// exits cannot block the pass. Default <see cref="DefaultJobTimeout"/>; read only for jobs. Not
    /// hashed (changing it runs nothing again).
    /// </summary>
    /// <remarks>
    /// Zero (never written by the spec, which asks for a positive duration) reads as the default: a state
    /// file from before job timeouts lacks the field, and the source-generated reader (Native AOT) sets an
    /// absent init-only property to zero instead of leaving the initializer's value.
    /// </remarks>
    public TimeSpan JobTimeout { get; init => field = value == TimeSpan.Zero ? DefaultJobTimeout : value; } = DefaultJobTimeout;

    /// <summary>10 minutes: a schema migration's order of magnitude, and short enough that a hung one is noticed.</summary>
    public static readonly TimeSpan DefaultJobTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// `x-berth: { front: true }`: a front container holds the service's DNS aliases and forwards to
    /// the replicas that passed their health gate, so a rollout never changes the address clients
    /// resolve (docs/rollout.md, "The front"). Replicas then carry no service aliases; hashed as
    /// <see cref="ConfigHasher.FrontField"/>.
    /// </summary>
    public bool Front { get; init; }

    /// <summary>
    /// A one-shot job: another service of the stack depends on it with `condition:
    /// service_completed_successfully` (a database migration). berth runs its container to completion
    /// instead of keeping it running: its dependants start only after it exited 0, an exited container
    /// of the current definition is converged (never restarted as drift), and it runs again only when
    /// its definition changes (docs/repository-format.md, "One-shot jobs"). Not hashed: it follows from
    /// the dependants, not from the container.
    /// </summary>
    public bool Job { get; init; }

    /// <summary>`stack/service`, the name used in plans, logs and status.</summary>
    public string QualifiedName => $"{Stack}/{Name}";

    /// <summary>What a stop gives a container that ignores its stop signal when stop_grace_period is not set (the engine's default).</summary>
    public static readonly TimeSpan EngineDefaultStopGrace = TimeSpan.FromSeconds(10);

    /// <summary>How long a stop waits before it kills: stop_grace_period, else the engine's default.</summary>
    /// <remarks>A method, not a property: the spec is stored in the state file, which holds what was declared.</remarks>
    public TimeSpan StopGrace() => Container.StopGracePeriod ?? EngineDefaultStopGrace;

    /// <summary>
    /// Whether <paramref name="other"/> says the same as this spec in everything but <see cref="Container"/>
    /// (compared by <see cref="ConfigHash"/> where it matters: a stored spec holds keyed hashes where the
    /// desired one holds values). Without serialising: that would compute both specs' hashes again.
    /// </summary>
    /// <remarks>
    /// The record's own equality does the work; only the array (compared by reference there) is compared by
    /// content. A property added to the record takes part by itself; ServiceSpecTests lists them, so one of
    /// another collection type is noticed.
    /// </remarks>
    public bool SameOutsideContainer(ServiceSpec other) =>
        this with { Container = other.Container, DependsOn = other.DependsOn } == other
        && (DependsOn.IsDefaultOrEmpty
            ? other.DependsOn.IsDefaultOrEmpty
            : !other.DependsOn.IsDefault && DependsOn.SequenceEqual(other.DependsOn));

    private HashSnapshot Hashes()
    {
        var snapshot = hashes.Snapshot;
        if (snapshot is null || !ReferenceEquals(snapshot.Container, Container) || snapshot.Front != Front)
        {
            var fieldHashes = ConfigHasher.FieldHashes(Container, Front);
            snapshot = new HashSnapshot(Container, Front, fieldHashes, ConfigHasher.ConfigHash(fieldHashes));
            hashes = new HashCache(snapshot);
        }

        return snapshot;
    }

    private sealed record HashSnapshot(ContainerSpec Container, bool Front, ImmutableSortedDictionary<string, string> FieldHashes, string ConfigHash);

    /// <summary>A cache is not content: every two caches are equal, so the record's equality ignores it.</summary>
    private readonly struct HashCache(HashSnapshot snapshot) : IEquatable<HashCache>
    {
        public HashSnapshot? Snapshot { get; } = snapshot;

        public bool Equals(HashCache other) => true;

        public override bool Equals(object? obj) => obj is HashCache;

        public override int GetHashCode() => 0;
    }
}

/// <summary>When berth pulls a service's image, and how often it asks the registry whether its tag moved.</summary>
/// <param name="Mode">What the Compose value asked for.</param>
/// <param name="CheckInterval">
/// For <see cref="PullMode.Always"/> and <see cref="PullMode.Periodic"/>: how long after a registry check the
/// next one is due (zero for always: every pass). Null for missing and never: the registry is never asked.
/// </param>
/// <remarks>
/// A record with the old enum's names as static members (<see cref="Missing"/>, <see cref="Never"/>), so
/// comparisons such as <c>policy == PullPolicy.Never</c> read as before. docs/images.md.
/// </remarks>
public sealed record PullPolicy(PullMode Mode, TimeSpan? CheckInterval)
{
    /// <summary>Pull only when the image is not present locally (Compose's default).</summary>
    public static PullPolicy Missing { get; } = new(PullMode.Missing, null);

    /// <summary>Never pull: the image must be present locally.</summary>
    public static PullPolicy Never { get; } = new(PullMode.Never, null);

    /// <summary>
    /// Ask the registry on every pass (a manifest HEAD, not a pull) and pull when the tag moved. Compose
    /// pulls in full every time; a full pull every pass would be wasteful, and the HEAD finds the same moves.
    /// </summary>
    public static PullPolicy Always { get; } = new(PullMode.Always, TimeSpan.Zero);

    /// <summary>Compose's daily: <see cref="Every"/> 24 hours.</summary>
    public static PullPolicy Daily { get; } = new(PullMode.Periodic, TimeSpan.FromDays(1));

    /// <summary>Compose's weekly: <see cref="Every"/> 7 days.</summary>
    public static PullPolicy Weekly { get; } = new(PullMode.Periodic, TimeSpan.FromDays(7));

    /// <summary>Compose's every_&lt;duration&gt;: ask the registry once per <paramref name="interval"/>.</summary>
    public static PullPolicy Every(TimeSpan interval) => new(PullMode.Periodic, interval);

    /// <summary>Whether berth asks the registry about moved tags for this policy (on its schedule).</summary>
    public bool ChecksRegistry => CheckInterval is not null;

    public override string ToString() => Mode switch
    {
        PullMode.Missing => "missing",
        PullMode.Never => "never",
        PullMode.Always => "always",
        _ when CheckInterval == TimeSpan.FromDays(1) => "daily",
        _ when CheckInterval == TimeSpan.FromDays(7) => "weekly",
        _ => $"every {CheckInterval}",
    };
}

public enum PullMode
{
    Missing,
    Never,
    Always,
    Periodic,
}

public enum DependencyCondition
{
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

/// <summary>A `depends_on` entry (short form means condition service_started, required).</summary>
public sealed record ServiceDependency(string Service, DependencyCondition Condition, bool Restart, bool Required);

public enum UpdateOrder
{
    StopFirst,
    StartFirst,
}

public enum FailureAction
{
    Rollback,
    Pause,
    Continue,
}

/// <summary>
/// Swarm's rolling-update vocabulary (`deploy.update_config` / `rollback_config`).
/// Kept out of the config hash: changing how to roll out never recreates a container.
/// </summary>
/// <param name="Parallelism">Replicas replaced at once. Default 1; 0 means all at once.</param>
/// <param name="Delay">Wait between batches. Default 0.</param>
/// <param name="FailureAction">Default rollback for updates, pause for rollbacks (never roll back a rollback).</param>
/// <param name="Monitor">How long a new container must stay running (no health check) or healthy. Default 5s.</param>
/// <param name="MaxFailureRatio">Failures tolerated before the failure action, as a fraction. Default 0.</param>
/// <param name="Order">Explicit order, or null to derive it (see docs/rollout.md).</param>
public sealed record RolloutPolicy(
    int Parallelism,
    TimeSpan Delay,
    FailureAction FailureAction,
    TimeSpan Monitor,
    double MaxFailureRatio,
    UpdateOrder? Order)
{
    public static readonly RolloutPolicy DefaultUpdate = new(1, TimeSpan.Zero, FailureAction.Rollback, TimeSpan.FromSeconds(5), 0, null);
    public static readonly RolloutPolicy DefaultRollback = new(1, TimeSpan.Zero, FailureAction.Pause, TimeSpan.FromSeconds(5), 0, null);
}
