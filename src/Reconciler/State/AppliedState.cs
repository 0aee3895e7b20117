using System.Collections.Immutable;

namespace Berth.Reconciler.State;

// berth's own record of what it applied, kept in the state directory. Decisions never rest on
// labels alone: labels change only on recreate, and a container re-created by hand can carry copied
// labels. The record also lets a restarted daemon resume where it was.

/// <summary>Everything berth remembers for one host identity.</summary>
/// <param name="LastAppliedRevision">The revision whose rollout last completed healthy.</param>
/// <param name="LastAttemptedRevision">The revision last tried, successful or not.</param>
/// <param name="FailedRevisions">Revisions whose rollout failed a health gate, with the services it failed for: those are not retried until the source moves or an operator forces it.</param>
public sealed record AppliedState(
    string Host,
    string? LastAppliedRevision,
    DateTimeOffset? LastAppliedAt,
    string? LastAttemptedRevision,
    DateTimeOffset? LastAttemptedAt,
    ImmutableSortedDictionary<string, AppliedService> Services,
    ImmutableSortedDictionary<string, FailedRevision> FailedRevisions,
    ImmutableArray<HistoryEntry> History)
{
    public const int HistoryLimit = 20;

    /// <summary>
    /// The secret values this pass knows (the desired state's, and what a rollback restored from a container:
    /// <see cref="StoredSecrets.RestoreFrom"/>): any string of an applied spec that contains one is written as a
    /// hash (<see cref="StoredSecrets.ForStorage"/>). Never written itself; not content (every two compare equal).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Spec.SecretValues Secrets { get; init; } = Spec.SecretValues.None;

    /// <summary>
    /// Image reference -> when its registry last answered a tag check (docs/images.md): what daily, weekly and
    /// every_&lt;duration&gt; count from, so that a restart does not ask again early. Absent in older state files.
    /// </summary>
    /// <remarks>
    /// This and <see cref="PulledImages"/> turn an absent value (null, a default array) into an empty one: a
    /// state file from before they existed lacks them, and the source-generated reader (Native AOT) sets an
    /// absent init-only property to its type's default instead of leaving the initializer's value.
    /// </remarks>
    public ImmutableSortedDictionary<string, DateTimeOffset> ImageChecks { get; init => field = value ?? NoImageChecks; } = NoImageChecks;

    private static readonly ImmutableSortedDictionary<string, DateTimeOffset> NoImageChecks = ImmutableSortedDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal);

    public static AppliedState Empty(string host) => new(
        host, null, null, null, null,
        ImmutableSortedDictionary<string, AppliedService>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, FailedRevision>.Empty.WithComparers(StringComparer.Ordinal),
        []);

    /// <summary>
    /// The images berth pulled and that are still on the host, by id (sorted): what image garbage
    /// collection may remove (<see cref="Images.ImageGarbageCollection"/>), never an image berth did not
    /// pull. Absent in a state file written before berth recorded them: empty.
    /// </summary>
    public ImmutableArray<PulledImage> PulledImages { get; init => field = value.IsDefault ? [] : value; } = [];

    public AppliedState WithHistory(HistoryEntry entry) =>
        this with { History = [.. History.Prepend(entry).Take(HistoryLimit)] };

    /// <summary>
    /// The services berth last applied, as a desired state of services only (no networks or volumes):
    /// what a pass that could not load a commit (git unreachable, invalid commit) measures the engine
    /// against. A service is here once a rollout of it completed; one whose every rollout failed is not.
    /// </summary>
    public Spec.Model.DesiredState LastAppliedServices() => new(
        Host,
        [.. Services.Values
            .Select(service => service.Spec)
            .OfType<Spec.Model.ServiceSpec>()
            .GroupBy(service => service.Stack, StringComparer.Ordinal)
            .OrderBy(stack => stack.Key, StringComparer.Ordinal)
            .Select(stack => new Spec.Model.StackSpec(stack.Key, [], [.. stack.OrderBy(service => service.Name, StringComparer.Ordinal)], [], []))],
        Spec.Model.RepositorySettings.Default);

    /// <summary>Whether the last recorded attempt left the host converged (a restart restores `berth_converged` from it).</summary>
    public bool LastAttemptConverged => History.FirstOrDefault() is { Result: HistoryResults.Converged or HistoryResults.UpToDate };
}

/// <summary>What was applied for one service (key: "stack/service").</summary>
/// <param name="ContainerIds">Replica number -> the id of the container berth created for it.</param>
/// <param name="Spec">
/// The whole spec that was applied, with its environment values as keyed hashes once it has been through
/// the state file (<see cref="StoredSecrets"/>).
/// </param>
public sealed record AppliedService(
    string ConfigHash,
    ImmutableSortedDictionary<string, string> FieldHashes,
    string Image,
    string? ImageId,
    string? Revision,
    ImmutableSortedDictionary<int, string> ContainerIds,
    Spec.Model.ServiceSpec? Spec)
{
    /// <summary>
    /// What a rollback returns to: the applied spec when it holds every value (restored from the running
    /// containers by <see cref="StoredSecrets.RestoreFrom"/>, or never stored), else null: a container
    /// must never be created with a hash where a value was.
    /// </summary>
    public Spec.Model.ServiceSpec? RollbackSpec => Spec is { } spec && !StoredSecrets.HoldsHashes(spec) ? spec : null;

    /// <summary>
    /// The image id of the version applied before this one, when it ran another image: image garbage
    /// collection keeps it, so going back to that version (a revert, a rollback) needs no pull. Null
    /// when unknown (no earlier version, or a state file from before berth recorded it).
    /// </summary>
    public string? PreviousImageId { get; init; }
}

/// <summary>An image berth pulled (key: its id), for image garbage collection.</summary>
/// <param name="Reference">The reference it was pulled as (the last one, when pulled again under another).</param>
/// <param name="Services">The services ("stack/service") it was pulled for, sorted.</param>
/// <param name="PulledAt">When berth last pulled it.</param>
public sealed record PulledImage(string Id, string Reference, ImmutableArray<string> Services, DateTimeOffset PulledAt);

/// <summary>A revision whose rollout failed its health gates on this host.</summary>
/// <param name="Services">
/// The services ("stack/service") whose new containers did not become healthy with this revision: only
/// their changes are held back (docs/reconcile.md, "Failed revisions"). Default (absent in a state file
/// written before berth recorded it): every service with changes is held, as berth did then.
/// </param>
/// <remarks>A default array is written as null and read back as default (StateStore), so such an old record keeps its meaning across saves.</remarks>
public sealed record FailedRevision(string Revision, string Reason, DateTimeOffset At, ImmutableArray<string> Services = default);

/// <param name="Result">One of <see cref="HistoryResults"/>.</param>
public sealed record HistoryEntry(DateTimeOffset At, string? Revision, string Result, string Summary);

/// <summary>
/// The values of <see cref="HistoryEntry.Result"/> (as <see cref="Reconciliation.PassVerdict"/> decides them; they are in
/// existing state files, so they never change: <see cref="Converged"/> is written for a pass that applied changes).
/// </summary>
public static class HistoryResults
{
    /// <summary>Changes were applied and the host matches (C#: <see cref="Reconciliation.ApplyOutcome.Applied"/>).</summary>
    public const string Converged = "converged";
    public const string UpToDate = "up to date";
    public const string Failed = "failed";

    /// <summary>
    /// A failed pass in which a rollout was rolled back. Added after 0.1.0 (issue #15); a state file
    /// from before has <see cref="Failed"/> for such a pass, and an older berth reads this one as failed.
    /// </summary>
    public const string RolledBack = "rolled back";
    public const string Refused = "refused";
    public const string TransientFailure = "transient failure";
    public const string HeldBack = "held back";
}
