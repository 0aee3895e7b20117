using Berth.Reconciler.Spec.Interpolation;

namespace Berth.Tests.Spec.Interpolation;

public sealed class InterpolatorTests
{
    private static readonly VariableSet Variables = VariableSet.Empty
        .Overlay(new Dictionary<string, string> { ["NAME"] = "web", ["EMPTY"] = "", ["TAG"] = "1.2" }, isSecret: false)
        .Overlay(new Dictionary<string, string> { ["PASSWORD"] = "s3cr3t-value" }, isSecret: true);

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("$NAME-$TAG", "web-1.2")]
    [InlineData("${NAME}_x", "web_x")]
    [InlineData("$$NAME costs $$5", "$NAME costs $5")]
    [InlineData("${MISSING:-default}", "default")]
    [InlineData("${EMPTY:-default}", "default")]
    [InlineData("${EMPTY-default}", "")]
    [InlineData("${MISSING-default}", "default")]
    [InlineData("${NAME:+alt}", "alt")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${MISSING+alt}", "")]
    [InlineData("${NAME:?required}", "web")]
    [InlineData("${MISSING:-${NAME}-${TAG:-x}}", "web-1.2")]
    [InlineData("${MISSING:-a:b/c}", "a:b/c")]
    public void Interpolate_ComposeSyntax_Expands(string text, string expected)
    {
        var result = Interpolator.Interpolate(text, Variables);

        Assert.Null(result.Error);
        Assert.Equal(expected, result.Value);
        Assert.Null(result.SecretVariable);
    }

    [Theory]
    [InlineData("${MISSING}", "variable MISSING is not defined (set it in the host's or stack's vars, or give a default: ${MISSING:-value})")]
    [InlineData("$MISSING", "variable MISSING is not defined (set it in the host's or stack's vars, or give a default: ${MISSING:-value})")]
    [InlineData("${EMPTY:?set it please}", "required variable EMPTY is missing a value: set it please")]
    [InlineData("${MISSING?}", "required variable MISSING is not set")]
    [InlineData("cost $5", "invalid interpolation: '$' must be followed by a variable name, '{' or '$' (write '$$' for a literal '$')")]
    [InlineData("${NAME", "invalid interpolation: '${' without a closing '}'")]
    [InlineData("${}", "invalid interpolation: '${' must be followed by a variable name")]
    [InlineData("${NAME/x/y}", "invalid interpolation: unexpected '/' after '${NAME' (use :-, -, :?, ?, :+ or +)")]
    public void Interpolate_Errors_NameTheProblem(string text, string expected)
    {
        Assert.Equal(expected, Interpolator.Interpolate(text, Variables).Error);
    }

    [Fact]
    public void Interpolate_HostLocalValue_IsMarkedSecret()
    {
        var result = Interpolator.Interpolate("postgres://app:${PASSWORD}@db", Variables);

        Assert.Equal("postgres://app:s3cr3t-value@db", result.Value);
        Assert.Equal("PASSWORD", result.SecretVariable);
    }
}
