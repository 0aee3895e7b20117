using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Tests.Spec.Interpolation;

public sealed class EnvFileParserTests
{
    [Fact]
    public void Parse_DotenvForms_AreRead()
    {
        var errors = new ErrorCollector();
        var variables = VariableSet.Empty.Overlay(new Dictionary<string, string> { ["INHERITED"] = "i", ["X"] = "x" }, isSecret: false);

        var entries = EnvFileParser.Parse("a.env", "A=1\n  export B = two \nC=\"line\\nbreak\"\nD='$X'\nE=$X-${X}\nINHERITED\nUNKNOWN\n#F=6\n\nG=\n", variables, isSecret: false, errors);

        Assert.Equal(0, errors.Count);
        Assert.Equal(
            [new("A", "1"), new("B", "two"), new("C", "line\nbreak"), new("D", "$X"), new("E", "x-x"), new("INHERITED", "i"), new("G", "")],
            entries);
    }

    [Fact]
    public void Parse_Errors_HaveLineAndColumn()
    {
        var errors = new ErrorCollector();

        EnvFileParser.Parse("a.env", "OK=1\n  bad line\nU=${NOPE}\n", VariableSet.Empty, isSecret: false, errors);

        Assert.Equal(
            [
                "a.env:2:3: invalid line in env file: expected KEY=VALUE with KEY of letters, digits, '_', '.', '-', not 'bad line'",
                "a.env:3:3: U: variable NOPE is not defined (set it in the host's or stack's vars, or give a default: ${NOPE:-value})",
            ],
            errors.ToSortedArray().Select(error => error.ToString()));
    }

    [Fact]
    public void Parse_VariableFromAnEarlierLine_IsUsedBeforeTheOuterVariables()
    {
        // Compose (compose-go dotenv) looks a name up in the lines read so far, then in the outer variables.
        var errors = new ErrorCollector();
        var variables = VariableSet.Empty.Overlay(new Dictionary<string, string> { ["DOMAIN"] = "outer.example", ["PORT"] = "8443" }, isSecret: false);

        var entries = EnvFileParser.Parse("a.env", "URL_BEFORE=${DOMAIN}\nDOMAIN=example.org\nURL=https://${DOMAIN}:$PORT\nNAME=\"${DOMAIN}\"\n", variables, isSecret: false, errors);

        Assert.Equal(0, errors.Count);
        Assert.Equal(
            [new("URL_BEFORE", "outer.example"), new("DOMAIN", "example.org"), new("URL", "https://example.org:8443"), new("NAME", "example.org")],
            entries);
    }

    [Fact]
    public void Parse_VariableFromALaterLine_IsNotDefinedYet()
    {
        var errors = new ErrorCollector();

        EnvFileParser.Parse("a.env", "URL=https://${DOMAIN}\nDOMAIN=example.org\n", VariableSet.Empty, isSecret: false, errors);

        Assert.Contains("variable DOMAIN is not defined", Assert.Single(errors.ToSortedArray()).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("URL=https://${NOPE}/x\n", 13)]
    [InlineData("export   URL = a$NOPE\n", 17)]
    [InlineData("URL=\"a\\tb ${NOPE}\"\n", 11)]
    [InlineData("URL=${A:-${NOPE}}\n", 10)]
    public void Parse_UndefinedVariable_ColumnPointsAtIt(string text, int column)
    {
        var errors = new ErrorCollector();

        EnvFileParser.Parse("a.env", text, VariableSet.Empty, isSecret: false, errors);

        var error = Assert.Single(errors.ToSortedArray());
        Assert.Equal((1, column), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_HostLocalValueWithADollar_ErrorNamesTheKeyButNoPartOfTheValue()
    {
        var errors = new ErrorCollector();

        EnvFileParser.Parse("/etc/berth/secrets.env", "DBPASS=pa$sw0rdTail\nOTHER=\"x${y\"\n", VariableSet.Empty, isSecret: true, errors);

        var messages = errors.ToSortedArray().Select(error => error.Message).ToList();
        Assert.Equal(2, messages.Count);
        Assert.StartsWith("DBPASS: ", messages[0], StringComparison.Ordinal);
        Assert.All(messages, message => Assert.DoesNotContain("sw0rdTail", message, StringComparison.Ordinal));
        Assert.All(messages, message => Assert.DoesNotContain("${y", message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_RepositoryEnvFileWithAnUndefinedVariable_ErrorNamesIt()
    {
        var errors = new ErrorCollector();

        EnvFileParser.Parse("app.env", "URL=http://$HOSTNAME_X/\n", VariableSet.Empty, isSecret: false, errors);

        Assert.Contains("HOSTNAME_X", Assert.Single(errors.ToSortedArray()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MoreVariablesThanTheLimit_IsAnErrorAtTheFirstOneOver()
    {
        var errors = new ErrorCollector();
        var text = string.Concat(Enumerable.Range(1, 10_001).Select(index => $"V{index}=1\n"));

        var entries = EnvFileParser.Parse("many.env", text, VariableSet.Empty, isSecret: false, errors);

        Assert.Equal(10_000, entries.Count);
        Assert.Equal(["many.env:10001:1: more than 10000 variables in one env file"], errors.ToSortedArray().Select(error => error.ToString()));
    }
}
