using YamlDotNet.RepresentationModel;

namespace Berth.Tests.Infrastructure;

public sealed record AlertRule(string Name, string Expression)
{
    public override string ToString() => Name;
}

/// <summary>Reads the alerting rules of packaging/prometheus/berth-alerts.yml.</summary>
public static class AlertRules
{
    public static IReadOnlyList<AlertRule> All()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(RepositoryFiles.AlertRules))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return [.. ((YamlSequenceNode)root["groups"]).Children.Cast<YamlMappingNode>()
            .SelectMany(group => ((YamlSequenceNode)group["rules"]).Children.Cast<YamlMappingNode>())
            .Select(rule => new AlertRule(((YamlScalarNode)rule["alert"]).Value!, ((YamlScalarNode)rule["expr"]).Value!))];
    }
}
