using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// `depends_on:` as a list (condition service_started) or a mapping with condition (service_started,
/// service_healthy, service_completed_successfully), restart and required.
/// </summary>
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

    // Compose's depends_on options that berth does not implement are errors at the value, never read
    // and dropped: a spec that says more than berth does must not look as if it were honoured.
    private static readonly FieldTable<(NodeReader Reader, ServiceDependency[] Holder)> Fields =
        new FieldTable<(NodeReader Reader, ServiceDependency[] Holder)>()
            .Field("condition", (target, node, path) =>
            {
                var condition = target.Reader.OneOf(node, path, "service_started", "service_healthy", "service_completed_successfully") switch
                {
                    "service_healthy" => DependencyCondition.ServiceHealthy,
                    // The target becomes a one-shot job (ServiceSpec.Job): run to completion, exit 0 before this service starts.
                    "service_completed_successfully" => DependencyCondition.ServiceCompletedSuccessfully,
                    _ => DependencyCondition.ServiceStarted,
                };
                target.Holder[0] = target.Holder[0] with { Condition = condition };
            })
            .Field("restart", (target, node, path) =>
            {
                // true: the service is restarted after the plan updates the dependency (Planner: RestartsAfterDependencies).
                if (target.Reader.Bool(node, path) is { } restart)
                {
                    target.Holder[0] = target.Holder[0] with { Restart = restart };
                }
            })
            .Field("required", (target, node, path) =>
            {
                // false: a target that is not a service of the stack is ignored instead of an error (StackBuilder).
                if (target.Reader.Bool(node, path) is { } required)
                {
                    target.Holder[0] = target.Holder[0] with { Required = required };
                }
            });
}
