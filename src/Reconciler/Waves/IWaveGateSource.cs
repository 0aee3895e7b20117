using System.Collections.Immutable;

namespace Berth.Reconciler.Waves;

/// <summary>
/// Where a host of a later wave learns how the earlier waves did with a commit: a place the fleet
/// already has, so berth needs no server of its own. One question, one answer: for this commit and
/// these hosts, what does each report? Implementations: <see cref="PrometheusGateSource"/> (the
/// `berth_*` metrics the fleet's Prometheus scrapes); commit statuses posted to a forge can answer
/// the same question. An implementation never decides: <see cref="WaveGate.Decide"/> does.
/// </summary>
public interface IWaveGateSource
{
    /// <summary>What status and logs call the source, e.g. "prometheus http://prom:9090/".</summary>
    string Description { get; }

    /// <summary>
    /// What each of <paramref name="hosts"/> reports about <paramref name="revision"/>. A host the
    /// source knows nothing about is left out of the answer. A source that cannot be asked (unreachable,
    /// an error answer, a timeout) returns <see cref="WaveEvidence.Unavailable"/>; it does not throw.
    /// </summary>
    Task<WaveEvidence> ReportAsync(string revision, ImmutableArray<string> hosts, CancellationToken cancellationToken);
}

/// <summary>How one host stands with one commit.</summary>
public enum HostRevisionState
{
    /// <summary>It runs the commit, converged and healthy, since <see cref="HostRevisionReport.HealthySince"/>.</summary>
    Healthy,

    /// <summary>Its rollout of the commit failed (rolled back, or held back as failed before).</summary>
    Failed,
}

/// <param name="HealthySince">For <see cref="HostRevisionState.Healthy"/>: since when, without a break.</param>
public sealed record HostRevisionReport(HostRevisionState State, DateTimeOffset? HealthySince = null);

/// <summary>The source's answer: per host (absent: the host reported nothing about the commit), or why there is none.</summary>
public sealed record WaveEvidence(ImmutableDictionary<string, HostRevisionReport> Hosts, string? SourceError)
{
    public static WaveEvidence Unavailable(string why) => new(ImmutableDictionary<string, HostRevisionReport>.Empty, why);

    public static WaveEvidence Of(IEnumerable<KeyValuePair<string, HostRevisionReport>> hosts) =>
        new(hosts.ToImmutableDictionary(StringComparer.Ordinal), null);
}
