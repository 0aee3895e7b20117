namespace Berth.Reconciler.Spec.Validation;

/// <summary>Suggests the known name closest to a misspelt one ("helthcheck" -> "healthcheck").</summary>
internal static class DidYouMean
{
    /// <summary>The closest candidate within a typo's distance, or null.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        var maxDistance = Math.Max(2, input.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Order(StringComparer.Ordinal))
        {
            var distance = Levenshtein(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= maxDistance ? best : null;
    }

    /// <summary>", did you mean 'x'?" or "".</summary>
    public static string Hint(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates) is { } closest ? $", did you mean '{closest}'?" : "";

    private static int Levenshtein(string left, string right)
    {
        if (left.Length > 64 || right.Length > 64)
        {
            return int.MaxValue; // not a typo of a key; also bounds the work
        }

        var previous = new int[right.Length + 1];
        var current = new int[right.Length + 1];
        for (var j = 0; j <= right.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= left.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= right.Length; j++)
            {
                var substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[right.Length];
    }
}
