using Berth.Reconciler.Images;

namespace Berth.Tests.Images;

public sealed class BearerChallengeTests
{
    [Fact]
    public void Parse_QuotedParameters_AsDockerHubSendsThem()
    {
        var parameters = BearerChallenge.Parse("realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/nginx:pull\"");

        Assert.Equal("https://auth.docker.io/token", parameters["realm"]);
        Assert.Equal("registry.docker.io", parameters["service"]);
        Assert.Equal("repository:library/nginx:pull", parameters["scope"]);
    }

    [Fact]
    public void Parse_ScopeWithCommaInsideQuotes_StaysWhole()
    {
        var parameters = BearerChallenge.Parse("realm=\"https://r/token\", scope=\"repository:a:pull,push\"");

        Assert.Equal("repository:a:pull,push", parameters["scope"]);
    }
}
