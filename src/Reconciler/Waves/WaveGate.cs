using System.Globalization;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Waves;

/// <summary>Why a host of a later wave holds its last proven commit; the metric label of <c>berth_wave_held</c>.</summary>
public enum WaveHoldReason
{
    /// <summary>An earlier host has not reported the commit converged and healthy (yet).</summary>
    Waiting,

    /// <summary>Every earlier host runs it healthy, but one not for its wave's soak time yet.</summary>
    Soaking,

    /// <summary>An earlier host's rollout of the commit failed: held until a newer commit.</summary>
    Failed,

    /// <summary>The gate's source cannot be asked (down, error answer, not configured): never apply unproven.</summary>
    SourceUnavailable,
}

/// <summary>The gate's verdict for one commit on one host.</summary>
/// <param name="Go">Apply the commit.</param>
/// <param name="Reason">Why not; null when <paramref name="Go"/>.</param>
/// <param name="Message">One line for status, logs and `berth plan`: the first earlier host that holds it, and what it reports.</param>
/// <param name="TimeLeft">For <see cref="WaveHoldReason.Soaking"/>: the longest soak still to run.</param>
public sealed record WaveDecision(bool Go, WaveHoldReason? Reason, string Message, TimeSpan? TimeLeft = null)
{
    public static readonly WaveDecision NotGated = new(true, null, "no earlier wave");
}

/// <summary>
/// The staged-rollout rule, pure: a host of wave N applies commit C only when every host of the
/// earlier waves (from C's own inventory) reports C converged and healthy, continuously, for at least
/// its wave's soak time. Anything less holds: a failure, a host that reported nothing (offline, not
/// there yet), a soak not over, and a source that cannot be asked. Fail safe: no evidence is never
/// read as good evidence.
/// </summary>
public static class WaveGate
{
    public static WaveDecision Decide(WavePosition? position, string revision, WaveEvidence? evidence, DateTimeOffset now)
    {
        if (position is null || !position.IsGated)
        {
            return WaveDecision.NotGated;
        }

        var prefix = $"wave {position.Wave} waits for wave {position.Earlier.Max(member => member.Wave)}:";
        if (evidence is null)
        {
            return new WaveDecision(false, WaveHoldReason.SourceUnavailable, $"{prefix} no gate source is configured (daemon config `waves:`)");
        }

        if (evidence.SourceError is { } sourceError)
        {
            return new WaveDecision(false, WaveHoldReason.SourceUnavailable, $"{prefix} the gate source cannot be asked: {sourceError}");
        }

        // A failure anywhere is the verdict that matters most (it will not clear by waiting), then a
        // host not there yet, then the longest soak left.
        var commit = Short(revision);
        foreach (var member in position.Earlier)
        {
            if (evidence.Hosts.TryGetValue(member.Host, out var report) && report.State == HostRevisionState.Failed)
            {
                return new WaveDecision(false, WaveHoldReason.Failed, $"{prefix} {member.Host} (wave {member.Wave}) failed commit {commit}; waiting for a newer commit");
            }
        }

        foreach (var member in position.Earlier)
        {
            if (!evidence.Hosts.TryGetValue(member.Host, out var report) || report.HealthySince is null)
            {
                return new WaveDecision(false, WaveHoldReason.Waiting, $"{prefix} {member.Host} (wave {member.Wave}) has not reported commit {commit} converged and healthy");
            }
        }

        var (longestMember, longestLeft) = position.Earlier
            .Select(member => (Member: member, Left: member.Soak - (now - evidence.Hosts[member.Host].HealthySince!.Value)))
            .MaxBy(item => item.Left);
        if (longestLeft > TimeSpan.Zero)
        {
            return new WaveDecision(false, WaveHoldReason.Soaking,
                $"{prefix} {longestMember.Host} (wave {longestMember.Wave}) runs commit {commit} healthy, soak {Format(longestLeft)} left of {Format(longestMember.Soak)}",
                longestLeft);
        }

        return new WaveDecision(true, null, $"every host of waves 1-{position.Wave - 1} ran commit {commit} healthy for its soak time");
    }

    private static string Short(string revision) => revision.Length > 12 ? revision[..12] : revision;

    private static string Format(TimeSpan duration) =>
        duration.TotalSeconds < 120
            ? Math.Ceiling(duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"
            : Math.Ceiling(duration.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m";
}
