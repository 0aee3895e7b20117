using System.Text.Json;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Dashboard;

/// <summary>
/// Every query of every panel of packaging/grafana/berth-dashboard.json, with Grafana's variables
/// filled in, against a real Prometheus that scraped a berth host through real rollouts: valid
/// PromQL, and data a panel would draw (at least one number that is not NaN).
/// </summary>
[Collection(ScrapedBerthHostCollection.Name)]
public sealed class DashboardQueryTests(ScrapedBerthHost host)
{
    public static TheoryData<string, string> PanelQueries()
    {
        var data = new TheoryData<string, string>();
        foreach (var query in DashboardQueries.All())
        {
            data.Add(query.Panel, query.RefId);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PanelQueries))]
    public async Task PanelQuery_AgainstRealPrometheus_IsValidAndReturnsData(string panel, string refId)
    {
        var query = DashboardQueries.All().Single(candidate => candidate.Panel == panel && candidate.RefId == refId);
        var now = DateTimeOffset.UtcNow;
        var expression = DashboardQueries.Substitute(query.Expression, host.DashboardVariables(now));

        var instant = await host.Prometheus.QueryAsync(expression, now);
        Assert.True(instant.Succeeded, $"{query}: invalid query {expression}: {instant.Error}");

        // A time series panel asks for its whole range; stat and table panels for the value now.
        var answer = query.Instant ? instant : await host.Prometheus.QueryRangeAsync(expression, host.ScrapedSince, now, TimeSpan.FromSeconds(1));
        Assert.True(answer.Succeeded, $"{query}: range query failed {expression}: {answer.Error}");
        Assert.True(answer.HasData, $"{query}: no data for {expression}\nberth activity:\n{host.Activity}");
    }

    [Fact]
    public void Dashboard_EveryPanelQueryIsCovered_AtLeastOnePerPanel()
    {
        using var dashboard = DashboardQueries.Load();
        var panels = DashboardQueries.Panels(dashboard.RootElement).Where(panel => panel.GetProperty("type").GetString() != "row").ToList();

        Assert.All(panels, panel => Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray()));
        var titles = panels.Select(panel => panel.GetProperty("title").GetString()).ToList();
        Assert.Equal(titles.Count, titles.Distinct().Count());
    }

    [Fact]
    public void Dashboard_ForImport_UsesDataSourceAndInstanceVariables()
    {
        using var dashboard = DashboardQueries.Load();
        var root = dashboard.RootElement;

        Assert.True(root.GetProperty("schemaVersion").GetInt32() >= 39);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("id").ValueKind);
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToDictionary(variable => variable.GetProperty("name").GetString()!);
        Assert.Equal("datasource", variables["datasource"].GetProperty("type").GetString());
        Assert.Equal("prometheus", variables["datasource"].GetProperty("query").GetString());
        Assert.Equal("label_values(berth_converged, instance)", variables["instance"].GetProperty("definition").GetString());
        Assert.Equal("label_values(berth_converged, instance)", variables["instance"].GetProperty("query").GetProperty("query").GetString());

        // Every panel and query uses the data source the viewer picked, so the import needs no editing.
        foreach (var panel in DashboardQueries.Panels(root).Where(panel => panel.GetProperty("type").GetString() != "row"))
        {
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.All(panel.GetProperty("targets").EnumerateArray(), target => Assert.Equal("${datasource}", target.GetProperty("datasource").GetProperty("uid").GetString()));
        }

        var ids = DashboardQueries.Panels(root).Select(panel => panel.GetProperty("id").GetInt32()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
