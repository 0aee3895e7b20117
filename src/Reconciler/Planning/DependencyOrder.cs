using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Planning;

/// <summary>Orders a stack's services so that every service comes after what it depends on; ties by name.</summary>
public static class DependencyOrder
{
    public static ImmutableArray<ServiceSpec> Sort(IEnumerable<ServiceSpec> services)
    {
        var byName = services.ToDictionary(service => service.Name, StringComparer.Ordinal);
        var ordered = ImmutableArray.CreateBuilder<ServiceSpec>(byName.Count);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);

        void Visit(ServiceSpec service)
        {
            if (visited.Contains(service.Name) || !visiting.Add(service.Name))
            {
                return; // done already, or a cycle (validation rejects cycles; never loop here)
            }

            foreach (var dependency in service.DependsOn.OrderBy(dependency => dependency.Service, StringComparer.Ordinal))
            {
                if (byName.TryGetValue(dependency.Service, out var target))
                {
                    Visit(target);
                }
            }

            visiting.Remove(service.Name);
            visited.Add(service.Name);
            ordered.Add(service);
        }

        foreach (var service in byName.Values.OrderBy(service => service.Name, StringComparer.Ordinal))
        {
            Visit(service);
        }

        return ordered.ToImmutable();
    }
}
