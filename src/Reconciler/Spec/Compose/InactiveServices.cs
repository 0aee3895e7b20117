using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>Services that do not run on this host (an inactive profile, placed elsewhere), taken out of a stack.</summary>
internal static class InactiveServices
{
    /// <summary>
    /// Removes <paramref name="inactive"/> from <paramref name="merged"/> after reporting every remaining
    /// service that still needs one of them (Compose refuses those too); a `required: false` dependency
    /// on one is dropped instead, as Compose ignores it.
    /// </summary>
    /// <param name="why">Completes "service 'x' depends on 'y', which ...".</param>
    public static void Remove(ComposeFileDraft merged, Dictionary<string, ServiceDraft> inactive, Func<ServiceDraft, string> why, NodeReader reader)
    {
        if (inactive.Count == 0)
        {
            return;
        }

        // One error per cause: a reference reported here is dropped, or building the stack would report
        // it again as a reference to an unknown service.
        foreach (var service in merged.Services.Values.Where(service => !inactive.ContainsKey(service.Name)))
        {
            foreach (var (target, dependency) in service.DependsOn.Where(entry => inactive.ContainsKey(entry.Key)).ToList())
            {
                if (dependency.Value.Required)
                {
                    reader.Error(dependency.At, $"service '{service.Name}' depends on '{target}', which {why(inactive[target])}");
                }

                service.DependsOn.Remove(target);
            }

            if (service.NetworkMode is { Value: ['s', 'e', 'r', 'v', 'i', 'c', 'e', ':', ..] } mode && inactive.TryGetValue(mode.Value["service:".Length..], out var shared))
            {
                reader.Error(mode.At, $"service '{service.Name}' uses the network of '{shared.Name}', which {why(shared)}");
                service.NetworkMode = null;
            }
        }

        foreach (var name in inactive.Keys)
        {
            merged.Services.Remove(name);
        }
    }
}
