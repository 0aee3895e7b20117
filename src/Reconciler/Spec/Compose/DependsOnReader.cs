using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>`depends_on:` as a list (condition service_started, required) or a mapping with condition/restart/required.</summary>
internal static class DependsOnReader
{
    public static void Read(ServiceTarget target, Node node, string path)
    {
        var reader = target.Reader;
        switch (node)
        {
            case SequenceNode sequence:
                foreach (var item in sequence.Items)
                {
                    if (reader.Scalar(item, path + " item") is { } name)
                    {
                        Add(target, name, new ServiceDependency(name.Value, DependencyCondition.ServiceStarted, Restart: false, Required: true), path);
                    }
                }

                break;
            case MappingNode mapping:
                foreach (var entry in mapping.Entries)
                {
                    var entryPath = $"{path}.{entry.Key.Value}";
                    var dependency = new ServiceDependency(entry.Key.Value, DependencyCondition.ServiceStarted, Restart: false, Required: true);
                    if (reader.MappingOrNull(entry.Value, entryPath) is not { } options)
                    {
                        continue;
                    }

                    var holder = new[] { dependency };
                    Fields.Apply(reader, options, (reader, holder), entryPath);
                    Add(target, entry.Key, holder[0], path);
                }

                break;
            default:
                reader.Error(node, $"{path} must be a list of service names or a mapping, not {node.KindDescription}");
                break;
        }
    }

    private static void Add(ServiceTarget target, ScalarNode name, ServiceDependency dependency, string path)
    {
        if (!target.Draft.DependsOn.TryAdd(name.Value, new Located<ServiceDependency>(dependency, name.Start)))
        {
            target.Reader.Error(name, $"{path}: '{name.Value}' is listed twice");
        }
    }

    private static readonly FieldTable<(NodeReader Reader, ServiceDependency[] Holder)> Fields =
        new FieldTable<(NodeReader Reader, ServiceDependency[] Holder)>()
            .Field("condition", (target, node, path) =>
            {
                var condition = target.Reader.OneOf(node, path, "service_started", "service_healthy", "service_completed_successfully") switch
                {
                    "service_healthy" => DependencyCondition.ServiceHealthy,
                    "service_completed_successfully" => DependencyCondition.ServiceCompletedSuccessfully,
                    _ => DependencyCondition.ServiceStarted,
                };
                target.Holder[0] = target.Holder[0] with { Condition = condition };
            })
            .Field("restart", (target, node, path) => target.Holder[0] = target.Holder[0] with { Restart = target.Reader.Bool(node, path) ?? false })
            .Field("required", (target, node, path) => target.Holder[0] = target.Holder[0] with { Required = target.Reader.Bool(node, path) ?? true });
}
