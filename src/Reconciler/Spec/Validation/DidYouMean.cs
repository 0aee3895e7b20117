namespace Berth.Reconciler.Spec.Validation;

/// <summary>Suggests the known name closest to a misspelt one ("helthcheck" -> "healthcheck").</summary>
/// <remarks>
/// Each suggestion compares the name with every candidate, so hints for every error of a big stack
/// were quadratic (8,000 services with an unknown depends_on: 29 s). The work is bounded three ways:
/// candidates whose length alone rules them out cost one unit; the distance is computed only near
/// the diagonal and abandoned once it exceeds a typo's distance; and one load shares a
/// <see cref="HintBudget"/>, past which errors come without hints (a person with thousands of errors
/// fixes the first ones first).
/// </remarks>
internal static class DidYouMean
{
    /// <summary>Work units (distance cells, and one per candidate considered) one load spends on hints: about 20 ms.</summary>
    public const long WorkPerLoad = 4_000_000;

    /// <summary>Longer names are not typos of a key; also bounds the stack buffers below.</summary>
    private const int MaxLength = 64;

    /// <summary>The closest candidate within a typo's distance (ties: first in ordinal order), or null.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates, new HintBudget(long.MaxValue));

    /// <summary>As <see cref="Closest(string, IEnumerable{string})"/>; null too once <paramref name="budget"/> runs out.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates, HintBudget budget)
    {
        if (input.Length > MaxLength || budget.IsExhausted)
        {
            return null;
        }

        var maxDistance = Math.Max(2, input.Length / 3);
        var lowerInput = input.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (!budget.TrySpend(1))
            {
                return null; // a partial search could suggest a worse match than a full one
            }

            if (candidate.Length > MaxLength || Math.Abs(candidate.Length - input.Length) > maxDistance)
            {
                continue;
            }

            var distance = BoundedDistance(lowerInput, candidate, maxDistance, out var cells);
            if (!budget.TrySpend(cells))
            {
                return null;
            }

            if (distance < bestDistance || (distance == bestDistance && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= maxDistance ? best : null;
    }

    /// <summary>", did you mean 'x'?" or "".</summary>
    public static string Hint(string input, IEnumerable<string> candidates, HintBudget budget) =>
        Closest(input, candidates, budget) is { } closest ? $", did you mean '{closest}'?" : "";

    /// <summary>
    /// Levenshtein distance ignoring case (<paramref name="lowerLeft"/> already lower case), or
    /// <paramref name="bound"/> + 1 when it is larger: only cells within <paramref name="bound"/>
    /// of the diagonal can hold a distance up to the bound, so only those are computed.
    /// </summary>
    private static int BoundedDistance(string lowerLeft, string right, int bound, out long cells)
    {
        var beyond = bound + 1;
        Span<int> previous = stackalloc int[MaxLength + 2];
        Span<int> current = stackalloc int[MaxLength + 2];
        for (var j = 0; j <= right.Length; j++)
        {
            previous[j] = j <= bound ? j : beyond;
        }

        cells = 0;
        for (var i = 1; i <= lowerLeft.Length; i++)
        {
            var from = Math.Max(1, i - bound);
            var to = Math.Min(right.Length, i + bound);
            current[0] = i <= bound ? i : beyond;
            current[from - 1] = from == 1 ? current[0] : beyond;
            var rowMinimum = current[from - 1];
            for (var j = from; j <= to; j++)
            {
                var substitution = previous[j - 1] + (lowerLeft[i - 1] == char.ToLowerInvariant(right[j - 1]) ? 0 : 1);
                var value = Math.Min(Math.Min(substitution, previous[j] + 1), Math.Min(current[j - 1] + 1, beyond));
                current[j] = value;
                rowMinimum = Math.Min(rowMinimum, value);
            }

            // The next row reads this one's cell just past the band: it must read as out of reach.
            current[to + 1] = beyond;
            cells += to - from + 1;
            if (rowMinimum > bound)
            {
                return beyond;
            }

            var swap = previous;
            previous = current;
            current = swap;
        }

        return Math.Min(previous[right.Length], beyond);
    }
}

/// <summary>The work one load may still spend on did-you-mean hints (see <see cref="DidYouMean"/>).</summary>
internal sealed class HintBudget(long work)
{
    private long remaining = work;

    public bool IsExhausted => remaining <= 0;

    /// <summary>Spends <paramref name="units"/>; false (and nothing left) when they were not there.</summary>
    public bool TrySpend(long units)
    {
        if (units > remaining)
        {
            remaining = 0;
            return false;
        }

        remaining -= units;
        return true;
    }
}
