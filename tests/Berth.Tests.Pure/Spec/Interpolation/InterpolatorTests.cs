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
    [InlineData("${NAME:-${MISSING}}", "web")]
    [InlineData("${MISSING:+${ALSO_MISSING}}", "")]
    [InlineData("${MISSING:-$$}", "$")]
    [InlineData("${MISSING:-$${x}}", "${x}")]
    [InlineData("a}b", "a}b")]
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
    [InlineData("${MISSING:?need ${NAME}}", "required variable MISSING is missing a value: need ${NAME}")]
    [InlineData("${MISSING:-${NAME}", "invalid interpolation: '${' without a closing '}'")]
    [InlineData("${NAME:-${}", "invalid interpolation: '${' without a closing '}'")]
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

    [Fact]
    public void Interpolate_NestingAtTheLimit_Expands()
    {
        var result = Interpolator.Interpolate(NestedDefaults(32, "x"), Variables);

        Assert.Null(result.Error);
        Assert.Equal("x", result.Value);
    }

    [Theory]
    [InlineData(33)]
    [InlineData(15_000)]
    [InlineData(200_000)]
    public void Interpolate_NestedDeeperThanTheLimit_IsRefused(int depth)
    {
        // 15,000 levels once cost 13-25 s and 3.3 GB (the rest of the string copied at every level);
        // 200,000 overflowed the stack. Now the scan stops at the limit.
        var result = Interpolator.Interpolate(NestedDefaults(depth, "x"), Variables);

        Assert.Equal("invalid interpolation: '${' nested more than 32 levels deep", result.Error);
    }

    [Fact]
    public void Interpolate_DeepNestingInABranchNotTaken_IsRefusedToo()
    {
        // NAME is set, so the default is never expanded; it must still be scanned to find its end.
        var result = Interpolator.Interpolate("${NAME:-" + NestedDefaults(15_000, "x") + "}", Variables);

        Assert.Equal("invalid interpolation: '${' nested more than 32 levels deep", result.Error);
    }

    [Fact]
    public void Load_DeeplyNestedValue_IsAnErrorAtTheScalar()
    {
        var errors = SpecTestRepository.Errors($"services:\n  web:\n    image: busybox\n    command: \"{NestedDefaults(15_000, "x")}\"\n");

        Assert.Equal(["4:14: invalid interpolation: '${' nested more than 32 levels deep"], errors);
    }

    private static string NestedDefaults(int depth, string innermost) =>
        string.Concat(Enumerable.Repeat("${A:-", depth)) + innermost + new string('}', depth);
}
