using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Reconciler.Spec.Yaml;

/// <summary>Compose durations (Go's time.ParseDuration): "1m30s", "500ms", "1.5h", "10us", "0".</summary>
internal static partial class DurationSyntax
{
    /// <summary>
    /// The longest duration a spec may set (health check timings, stop_grace_period, rollout delay
    /// and monitor, x-berth.drain). Docker takes up to 292 years, but berth waits for some of these
    /// itself, and .NET timers (Task.Delay) throw past 49.7 days: an absurd drain validated, then
    /// threw mid-rollout after the old container had left its network. Nothing sane waits a day.
    /// </summary>
    public static readonly TimeSpan Longest = TimeSpan.FromHours(24);

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }

        if (text.Length > 64 || !Whole().IsMatch(text))
        {
            return false;
        }

        double ticks = 0;
        foreach (Match part in Part().Matches(text))
        {
            var number = double.Parse(part.Groups["number"].Value, CultureInfo.InvariantCulture);
            ticks += number * part.Groups["unit"].Value switch
            {
                "ns" => 0.01,
                "us" or "µs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }

        if (ticks >= TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)Math.Round(ticks));
        return true;
    }

    [GeneratedRegex(@"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(?<number>\d+(\.\d+)?)(?<unit>ns|us|µs|ms|s|m|h)")]
    private static partial Regex Part();
}

/// <summary>Compose sizes (go-units RAMInBytes): bytes, or "512m", "1g", "64k", "1.5gb"; 1k = 1024.</summary>
internal static partial class SizeSyntax
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = text.Length <= 32 ? Pattern().Match(text) : Match.Empty;
        if (!match.Success)
        {
            return false;
        }

        var number = double.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture);
        var multiplier = match.Groups["unit"].Value.ToLowerInvariant() switch
        {
            "" => 1d,
            "k" => 1024d,
            "m" => 1024d * 1024,
            "g" => 1024d * 1024 * 1024,
            "t" => 1024d * 1024 * 1024 * 1024,
            _ => 1024d * 1024 * 1024 * 1024 * 1024,
        };
        var value = number * multiplier;
        if (value >= long.MaxValue)
        {
            return false;
        }

        bytes = (long)value;
        return true;
    }

    [GeneratedRegex(@"^(?<number>\d+(\.\d+)?) ?(?<unit>[kKmMgGtTpP]?)[iI]?[bB]?$")]
    private static partial Regex Pattern();
}
