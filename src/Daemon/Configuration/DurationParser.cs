using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Daemon.Configuration;

/// <summary>Durations as in Go and systemd: "500ms", "30s", "5m", "1h30m". A bare number is refused: its unit would be a guess.</summary>
public static partial class DurationParser
{
    [GeneratedRegex(@"^(?:(?<value>\d+)(?<unit>ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var values = match.Groups["value"].Captures;
        var units = match.Groups["unit"].Captures;
        for (var index = 0; index < values.Count; index++)
        {
            if (!long.TryParse(values[index].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 1_000_000_000)
            {
                return false;
            }

            duration += units[index].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromHours(value),
            };
        }

        return true;
    }

    /// <summary>The shortest text <see cref="TryParse"/> reads back as the same duration (for messages and docs).</summary>
    public static string Format(TimeSpan duration) =>
        duration.TotalMilliseconds % 1000 != 0 ? $"{duration.TotalMilliseconds:F0}ms"
        : duration.TotalSeconds % 60 != 0 ? $"{duration.TotalSeconds:F0}s"
        : duration.TotalMinutes % 60 != 0 ? $"{duration.TotalMinutes:F0}m"
        : $"{duration.TotalHours:F0}h";
}
