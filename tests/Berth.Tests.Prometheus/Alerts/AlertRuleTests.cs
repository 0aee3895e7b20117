using Berth.Tests.Infrastructure;

namespace Berth.Tests.Alerts;

/// <summary>The alerting rules loaded into a real Prometheus that scraped real rollouts.</summary>
[Collection(ScrapedBerthHostCollection.Name)]
public sealed class AlertRuleTests(ScrapedBerthHost host)
{
    public static TheoryData<string> Alerts()
    {
        var data = new TheoryData<string>();
        foreach (var rule in AlertRules.All())
        {
            data.Add(rule.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Alerts))]
    public async Task AlertExpression_AgainstRealPrometheus_IsValid(string alert)
    {
        var rule = AlertRules.All().Single(candidate => candidate.Name == alert);

        var answer = await host.Prometheus.QueryAsync(rule.Expression);

        Assert.True(answer.Succeeded, $"{alert}: {rule.Expression}: {answer.Error}");
    }

    [Fact]
    public async Task LoadedRules_EvaluatedByPrometheus_AllHealthy()
    {
        var expected = AlertRules.All().Select(rule => rule.Name).Order(StringComparer.Ordinal).ToList();
        IReadOnlyList<(string Name, string Health, string? LastError)> rules = [];

        // Rules are "unknown" until their first evaluation (every second here).
        await Poll.UntilAsync(async () =>
        {
            rules = await host.Prometheus.RulesAsync();
            return rules.Count == expected.Count && rules.All(rule => rule.Health != "unknown");
        }, TimeSpan.FromSeconds(30), () => string.Join(", ", rules.Select(rule => $"{rule.Name}={rule.Health}")));

        Assert.Equal(expected, rules.Select(rule => rule.Name).Order(StringComparer.Ordinal).ToList());
        Assert.All(rules, rule => Assert.True(rule.Health == "ok", $"{rule.Name}: {rule.Health}: {rule.LastError}"));
    }

    [Theory]
    [InlineData("BerthRolloutRolledBack", "service", "web")]
    [InlineData("BerthCommitRefused", "reason", "failed_before")]
    [InlineData("BerthCommitRefused", "reason", "unsigned")]
    public async Task Alert_AfterTheRealRollbackAndRefusals_Fires(string alert, string label, string value)
    {
        // The operator's view: the rollback and the refusals the test host went through raise alerts that name the host.
        var query = $"ALERTS{{alertname=\"{alert}\",alertstate=\"firing\",{label}=\"{value}\",host=\"{host.HostLabel}\"}}";
        await Poll.UntilAsync(async () => (await host.Prometheus.QueryAsync(query)).Series.Count == 1,
            TimeSpan.FromSeconds(30), () => $"{query}\nberth activity:\n{host.Activity}");
    }
}
