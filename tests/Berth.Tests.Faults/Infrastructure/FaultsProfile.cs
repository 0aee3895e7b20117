namespace Berth.Tests.Faults.Infrastructure;

/// <summary>
/// How much of the suite runs: the CI profile (default) keeps within its share of the 10-minute budget
/// with every injection point of the cheapest scenarios and an evenly spread, deterministic sample of
/// the others; <c>BERTH_FAULTS_PROFILE=long</c> runs every point of every scenario (docs/reliability.md).
/// </summary>
public static class FaultsProfile
{
    public static bool IsLong { get; } = string.Equals(Environment.GetEnvironmentVariable("BERTH_FAULTS_PROFILE"), "long", StringComparison.OrdinalIgnoreCase);

    public static string Name => IsLong ? "long" : "ci";

    /// <summary>
    /// The points to run out of <paramref name="total"/> (0-based): all in the long profile or when
    /// <paramref name="allInCi"/>, else <paramref name="sample"/> spread evenly between the ends. The
    /// ends are left to the long profile: the first point is "before anything changed" and the last
    /// "after the last write", the two that teach least about a rollout half done.
    /// </summary>
    public static IReadOnlyList<int> Select(int total, bool allInCi, int sample)
    {
        if (IsLong || allInCi || total <= sample)
        {
            return [.. Enumerable.Range(0, total)];
        }

        return [.. Enumerable.Range(1, sample)
            .Select(index => (int)Math.Round(index * (total - 1) / (double)(sample + 1)))
            .Distinct()];
    }
}
