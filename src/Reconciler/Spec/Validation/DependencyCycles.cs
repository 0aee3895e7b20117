using Berth.Reconciler.Spec.Compose;

namespace Berth.Reconciler.Spec.Validation;

/// <summary>Reports each depends_on cycle once, at the entry that closes it, with the whole path.</summary>
internal static class DependencyCycles
{
    public static void Report(IEnumerable<ServiceDraft> services, Yaml.NodeReader reader)
    {
        var byName = services.ToDictionary(service => service.Name, StringComparer.Ordinal);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the current path, true: done
        var path = new List<string>();
        foreach (var name in byName.Keys.Order(StringComparer.Ordinal))
        {
            Visit(name);
        }

        void Visit(string name)
        {
            if (state.ContainsKey(name))
            {
                return;
            }

            state[name] = false;
            path.Add(name);
            foreach (var (target, dependency) in byName[name].DependsOn.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                if (!byName.ContainsKey(target) || target == name)
                {
                    continue; // reported as unknown target or self-dependency
                }

                if (state.TryGetValue(target, out var done) && !done)
                {
                    var cycle = path.Skip(path.IndexOf(target)).Append(target);
                    reader.Error(dependency.At, $"depends_on cycle: {string.Join(" -> ", cycle)}");
                    continue;
                }

                Visit(target);
            }

            path.RemoveAt(path.Count - 1);
            state[name] = true;
        }
    }
}
