using System.Text.Json;
using System.Text.RegularExpressions;

namespace Berth.Tests.Infrastructure;

/// <summary>One query of one dashboard panel, as Grafana would send it.</summary>
/// <param name="Instant">Stat and table panels ask for one value (an instant query); time series for a range.</param>
public sealed record PanelQuery(string Panel, string PanelType, string RefId, string Expression, bool Instant)
{
    public override string ToString() => $"{Panel} [{RefId}]";
}

/// <summary>Reads packaging/grafana/berth-dashboard.json and fills in template variables as Grafana does.</summary>
public static partial class DashboardQueries
{
    public static JsonDocument Load() => JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Dashboard));

    public static IReadOnlyList<PanelQuery> All()
    {
        using var dashboard = Load();
        var queries = new List<PanelQuery>();
        foreach (var panel in Panels(dashboard.RootElement))
        {
            var type = panel.GetProperty("type").GetString()!;
            if (type == "row")
            {
                continue;
            }

            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                queries.Add(new PanelQuery(
                    panel.GetProperty("title").GetString()!,
                    type,
                    target.GetProperty("refId").GetString()!,
                    target.GetProperty("expr").GetString()!,
                    target.TryGetProperty("instant", out var instant) && instant.GetBoolean()));
            }
        }

        return queries;
    }

    /// <summary>Top-level panels and those inside collapsed rows.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>
    /// Replaces $name and ${name} with the given values. A variable the test does not know fails
    /// loudly: a panel must not depend on something nobody checked.
    /// </summary>
    public static string Substitute(string expression, IReadOnlyDictionary<string, string> variables) =>
        Variable().Replace(expression, match =>
        {
            var name = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
            return variables.TryGetValue(name, out var value)
                ? value
                : throw new InvalidOperationException($"unknown dashboard variable ${name} in: {expression}");
        });

    [GeneratedRegex(@"\$(?:\{(\w+)\}|(\w+))")]
    private static partial Regex Variable();
}
