using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Berth.Reconciler.Loop;

/// <summary>
/// How a pass ended, sorted the way Flux sorts errors: only the loop turns this into scheduling
/// (retry soon with backoff, or wait for the next interval / a new commit).
/// </summary>
public enum PassOutcome
{
    /// <summary>Nothing to do: the host already matched the desired state.</summary>
    Converged,
    /// <summary>Changes were applied and the host now matches the desired state.</summary>
    Changed,
    /// <summary>
    /// A transient error (git fetch, engine unavailable, ...): retried with backoff. Shown as "Failed" in
    /// `/status` and `berth status --json` (the wire name it always had).
    /// </summary>
    [JsonStringEnumMemberName("Failed")]
    Transient,
    /// <summary>The user must fix something (invalid commit, failed rollout that was rolled back): no fast retry; a new commit unblocks it.</summary>
    Stalled,
}

/// <summary>The result of one reconcile pass, as the pass reports it.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Revision">The commit the pass resolved and worked on (null when it did not get that far, e.g. the fetch failed).</param>
/// <param name="Summary">One line for a person: what changed, or what failed and why. Never contains secrets.</param>
/// <param name="Duration">Wall time of the pass. The loop measures it and overwrites whatever the pass put here.</param>
/// <param name="Reason">A short CamelCase reason for the conditions (e.g. "GitFetchFailed", "SpecInvalid"); null: derived from the outcome.</param>
/// <param name="Services">
/// Per-service status observed by this pass. Default (not empty): the pass did not observe the host
/// (e.g. the fetch failed), so the previous per-service status is kept.
/// </param>
public sealed record PassResult(
    PassOutcome Outcome,
    string? Revision,
    string Summary,
    TimeSpan Duration,
    string? Reason = null,
    ImmutableArray<ServiceStatus> Services = default)
{
    /// <summary>
    /// Where the pass's observations of the host came from ("cache", "engine", "cache + engine",
    /// "engine ×2"): the daemon's informer answers an idle pass without asking the engine. Null when the
    /// pass did not say (it did not observe, or has no informer). Shown in the pass's log line.
    /// </summary>
    public string? Observation { get; init; }

    /// <summary>
    /// "kept" when the daemon answered the pass from the commit it had loaded before (nothing it read from the
    /// host changed), "loaded" when it loaded the commit; null when the pass did not say. Shown in the log line.
    /// </summary>
    public string? CommitLoad { get; init; }
}

/// <summary>What a <see cref="PassOutcome"/> means for its readers, and how it is shown.</summary>
public static class PassOutcomes
{
    /// <summary>Converged or Changed: the host matches the pass's revision.</summary>
    public static bool Succeeded(this PassOutcome outcome) => outcome is PassOutcome.Converged or PassOutcome.Changed;

    /// <summary>
    /// The name `/status` (JSON), `berth status`, the journal and systemd's status line show. Stable
    /// across renames of the C# member: <see cref="PassOutcome.Transient"/> is "Failed", as it always
    /// was (the JSON name comes from its <see cref="JsonStringEnumMemberNameAttribute"/>; a test keeps both equal).
    /// </summary>
    public static string WireName(this PassOutcome outcome) => outcome == PassOutcome.Transient ? "Failed" : outcome.ToString();
}
