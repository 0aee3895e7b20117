using System.Globalization;
using Berth.Reconciler.Spec.Compose;

namespace Berth.Reconciler.Spec.Validation;

/// <summary>
/// Two services on one host (in two stacks, or two container_names in one) must not produce the same
/// container name: the engine would refuse the second create and the two would fight over it.
/// Names are `stack-service-n`, or container_name.
/// </summary>
internal static class ContainerNameCheck
{
    public static void Report(IEnumerable<BuiltStack> stacks, Yaml.NodeReader reader)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var stack in stacks.OrderBy(stack => stack.Spec.Name, StringComparer.Ordinal))
        {
            foreach (var service in stack.Spec.Services)
            {
                var names = service.Container.ContainerName is { } explicitName
                    ? [explicitName]
                    : Enumerable.Range(1, service.Replicas).Select(index => $"{stack.Spec.Name}-{service.Name}-{index.ToString(CultureInfo.InvariantCulture)}");
                foreach (var name in names)
                {
                    var owner = $"stack '{stack.Spec.Name}' service '{service.Name}'";
                    if (owners.TryGetValue(name, out var firstOwner) && firstOwner != owner)
                    {
                        reader.Error(stack.ServiceLocations[service.Name], $"container name '{name}' of {owner} is also used by {firstOwner} on this host; rename a stack or service, or set container_name");
                        break;
                    }

                    owners.TryAdd(name, owner);
                }
            }
        }
    }
}
