using Berth.Tests.Infrastructure;

namespace Berth.Tests.Alerts;

/// <summary>promtool, Prometheus' own checker, on the files operators copy.</summary>
public sealed class PromtoolTests
{
    [Fact]
    public async Task CheckRules_AlertingRules_Pass()
    {
        var (exitCode, output) = await Promtool.RunAsync("check", "rules", RepositoryFiles.AlertRules);

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task TestRules_AlertsFireWhenAndOnlyWhenTheyShould()
    {
        var (exitCode, output) = await Promtool.RunAsync("test", "rules", RepositoryFiles.AlertRuleTests);

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task CheckConfig_ExampleScrapeConfigWithRules_IsValid()
    {
        var (exitCode, output) = await Promtool.RunAsync("check", "config", RepositoryFiles.ScrapeConfig);

        Assert.True(exitCode == 0, output);
    }
}
