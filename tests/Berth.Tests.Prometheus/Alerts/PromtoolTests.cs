using Berth.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

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
    public void TestRules_EveryAlert_IsShownToFire()
    {
        // promtool passes a file that never mentions an alert: an alert nobody has seen fire could
        // have a typo in a label matcher and stay silent forever. Each one needs a case expecting it.
        var shownFiring = AlertsExpectedToFire(RepositoryFiles.AlertRuleTests);

        var neverShown = AlertRules.All().Select(rule => rule.Name).Where(name => !shownFiring.Contains(name)).ToList();

        Assert.True(neverShown.Count == 0, $"no case in berth-alerts.test.yml expects these to fire: {string.Join(", ", neverShown)}");
    }

    [Fact]
    public async Task CheckConfig_ExampleScrapeConfigWithRules_IsValid()
    {
        var (exitCode, output) = await Promtool.RunAsync("check", "config", RepositoryFiles.ScrapeConfig);

        Assert.True(exitCode == 0, output);
    }

    /// <summary>Alert names with at least one <c>alert_rule_test</c> case whose <c>exp_alerts</c> is not empty.</summary>
    private static HashSet<string> AlertsExpectedToFire(string testFile)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(testFile))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return [.. ((YamlSequenceNode)root["tests"]).Children.Cast<YamlMappingNode>()
            .Where(test => test.Children.ContainsKey("alert_rule_test"))
            .SelectMany(test => ((YamlSequenceNode)test["alert_rule_test"]).Children.Cast<YamlMappingNode>())
            .Where(check => check["exp_alerts"] is YamlSequenceNode { Children.Count: > 0 })
            .Select(check => ((YamlScalarNode)check["alertname"]).Value!)];
    }
}
