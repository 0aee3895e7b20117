using Berth.Reconciler.Loop;

namespace Berth.Daemon.Http;

/// <summary>/readyz: the last pass completed recently (within three poll intervals) and the host is not stalled.</summary>
public static class Readiness
{
    public const int RecentIntervals = 3;

    public static (bool Ready, string Reason) Evaluate(StatusSnapshot status, DateTimeOffset now, TimeSpan pollInterval)
    {
        // A pass restored from the state file is an earlier process's: this one has not proved itself yet.
        if (status.LastAttempted is not { } last || last.Trigger == PassTrigger.Restored)
        {
            return (false, "no pass has completed yet");
        }

        var endedAgo = now - (last.StartedAt + last.Duration);
        var bound = pollInterval * RecentIntervals;
        if (endedAgo > bound)
        {
            return (false, $"last pass ended {endedAgo.TotalSeconds:F0} s ago (more than {RecentIntervals} poll intervals)");
        }

        var stalled = status.Conditions.FirstOrDefault(condition => condition.Type == ConditionTypes.Stalled);
        if (stalled is { Status: ConditionStatus.True })
        {
            return (false, $"stalled: {stalled.Reason}: {stalled.Message}");
        }

        return (true, $"last pass {last.Number}: {last.Outcome}");
    }
}
