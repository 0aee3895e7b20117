using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Validation;

/// <summary>
/// Two networks (or two volumes) on one host that berth would create under the same engine name, in
/// two stacks or under two keys of one: berth would plan two creates of one resource, each with its
/// own settings, and the stacks would fight over it. One must create it and the others use it as
/// `external: true` (Compose, too, refuses a network another project created).
/// </summary>
internal static class ResourceNameCheck
{
    public static void Report(IReadOnlyCollection<BuiltStack> stacks, NodeReader reader)
    {
        Check("network", stacks.SelectMany(stack => stack.Spec.Networks.Where(network => !network.External)
            .Select(network => (stack.Spec.Name, network.Key, network.EngineName, At: stack.NetworkLocations[network.Key]))), reader);
        Check("volume", stacks.SelectMany(stack => stack.Spec.Volumes.Where(volume => !volume.External)
            .Select(volume => (stack.Spec.Name, volume.Key, volume.EngineName, At: stack.VolumeLocations[volume.Key]))), reader);
    }

    private static void Check(string kind, IEnumerable<(string Stack, string Key, string EngineName, Location At)> resources, NodeReader reader)
    {
        foreach (var group in resources.GroupBy(resource => resource.EngineName, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(resource => resource.Stack, StringComparer.Ordinal).ThenBy(resource => resource.Key, StringComparer.Ordinal).ToList();
            var first = ordered[0];
            foreach (var other in ordered.Skip(1))
            {
                reader.Error(other.At,
                    $"{kind} '{other.Key}' of stack '{other.Stack}' would create the {kind} {group.Key}, which {kind} '{first.Key}' of stack '{first.Stack}' ({first.At}) creates too. " +
                    $"Let one of them create it and mark the other `external: true` (with name: {group.Key})");
            }
        }
    }
}
