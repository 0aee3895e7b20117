namespace Berth.Tests.Faults.Infrastructure;

/// <summary>
/// How much of the suite runs: the CI profile (default) keeps within the 10-minute budget with a small,
/// evenly spread sample of each scenario's injection points that moves from day to day (<see cref="Seed"/>);
/// <c>BERTH_FAULTS_PROFILE=long</c> runs every point of every scenario (docs/reliability.md).
/// </summary>
public static class FaultsProfile
{
    public static bool IsLong { get; } = string.Equals(Environment.GetEnvironmentVariable("BERTH_FAULTS_PROFILE"), "long", StringComparison.OrdinalIgnoreCase);

    public static string Name => IsLong ? "long" : "ci";

    /// <summary>
    /// Which CI sample runs: <c>BERTH_FAULTS_SEED</c>, else the day (days since 2000-01-01, UTC). The sample
    /// moves by a point a day, so consecutive CI runs cover different points within the 10-minute budget
    /// while one day's runs are identical; the summary prints the seed, and setting it reproduces a run.
    /// </summary>
    public static int Seed { get; } = int.TryParse(Environment.GetEnvironmentVariable("BERTH_FAULTS_SEED"), out var seed)
        ? seed
        : (int)(DateTime.UtcNow.Date - new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalDays;

    /// <summary>
    /// The points to run out of <paramref name="total"/> (0-based): all in the long profile, else
    /// <paramref name="sample"/> points evenly spread over the scenario and shifted by <see cref="Seed"/>.
    /// </summary>
    public static IReadOnlyList<int> Select(int total, int sample)
    {
        if (IsLong || total <= sample)
        {
            return [.. Enumerable.Range(0, total)];
        }

        var offset = (int)((uint)Seed % (uint)total);
        return [.. Enumerable.Range(0, sample)
            .Select(index => (offset + (int)Math.Round(index * total / (double)sample)) % total)
            .Distinct()
            .Order()];
    }
}
