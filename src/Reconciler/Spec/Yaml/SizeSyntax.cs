using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Reconciler.Spec.Yaml;

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
