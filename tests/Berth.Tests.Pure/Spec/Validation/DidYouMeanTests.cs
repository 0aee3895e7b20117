using Berth.Reconciler.Spec.Validation;

namespace Berth.Tests.Spec.Validation;

public sealed class DidYouMeanTests
{
    [Theory]
    [InlineData("helthcheck", "healthcheck")]
    [InlineData("enviroment", "environment")]
    [InlineData("IMAGE", "image")]
    [InlineData("dpends_on", "depends_on")]
    public void Closest_Typo_SuggestsTheKnownKey(string input, string expected)
    {
        Assert.Equal(expected, DidYouMean.Closest(input, ["image", "healthcheck", "environment", "depends_on", "deploy"]));
    }

    [Fact]
    public void Closest_NothingSimilar_SuggestsNothing()
    {
        Assert.Null(DidYouMean.Closest("completely-unrelated", ["image", "ports"]));
        Assert.Equal("", DidYouMean.Hint("zzz", [], new HintBudget(DidYouMean.WorkPerLoad)));
    }

    [Fact]
    public void Closest_EqualDistances_SuggestsTheFirstInOrdinalOrder()
    {
        Assert.Equal("ab", DidYouMean.Closest("aa", ["ba", "ab"]));
    }

    [Fact]
    public void Closest_BudgetRunsOut_SuggestsNothingRatherThanAWorseMatch()
    {
        var budget = new HintBudget(3);

        // The best match comes last: a search cut short must not offer the earlier, worse one.
        Assert.Null(DidYouMean.Closest("deploy", ["depends_on", "deplo", "deploy"], budget));
        Assert.True(budget.IsExhausted);
        Assert.Null(DidYouMean.Closest("deploy", ["deploy"], budget));
    }

    [Fact]
    public void Closest_BandedDistance_AgreesWithTheFullComputation()
    {
        // The bounded computation must suggest exactly what the full Levenshtein distance would.
        var random = new Random(22);
        for (var iteration = 0; iteration < 5000; iteration++)
        {
            var input = RandomName(random);
            string[] candidates = [.. Enumerable.Range(0, 1 + random.Next(6)).Select(_ => RandomName(random))];

            var maxDistance = Math.Max(2, input.Length / 3);
            var expected = candidates
                .Select(candidate => (Candidate: candidate, Distance: Levenshtein(input.ToLowerInvariant(), candidate.ToLowerInvariant())))
                .Where(scored => scored.Distance <= maxDistance)
                .OrderBy(scored => scored.Distance).ThenBy(scored => scored.Candidate, StringComparer.Ordinal)
                .Select(scored => scored.Candidate)
                .FirstOrDefault();

            Assert.True(expected == DidYouMean.Closest(input, candidates), $"'{input}' among [{string.Join(", ", candidates)}]: expected {expected ?? "null"}");
        }
    }

    private static string RandomName(Random random) =>
        new([.. Enumerable.Range(0, random.Next(0, 14)).Select(_ => "abcAB_"[random.Next(6)])]);

    private static int Levenshtein(string left, string right)
    {
        var distances = new int[left.Length + 1, right.Length + 1];
        for (var i = 0; i <= left.Length; i++)
        {
            distances[i, 0] = i;
        }

        for (var j = 0; j <= right.Length; j++)
        {
            distances[0, j] = j;
        }

        for (var i = 1; i <= left.Length; i++)
        {
            for (var j = 1; j <= right.Length; j++)
            {
                distances[i, j] = Math.Min(
                    distances[i - 1, j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1),
                    Math.Min(distances[i - 1, j] + 1, distances[i, j - 1] + 1));
            }
        }

        return distances[left.Length, right.Length];
    }
}
