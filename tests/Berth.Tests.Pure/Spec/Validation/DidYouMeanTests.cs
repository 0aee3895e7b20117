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
        Assert.Equal("", DidYouMean.Hint("zzz", []));
    }
}
