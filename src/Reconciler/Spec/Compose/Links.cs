using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Compose `links: [SERVICE]` / `[SERVICE:ALIAS]`. On a user-defined network (berth's only kind) a link
/// adds nothing to what the network gives, except two things: it orders start-up like `depends_on`
/// (condition service_started), and an ALIAS other than the service's name becomes a name that only the
/// linking service's containers resolve (a container-scoped alias the engine keeps per endpoint).
/// </summary>
/// <remarks>
/// berth honours the first, and refuses the second with the alternative: a network alias on the linked
/// service (`networks: {NET: {aliases: [ALIAS]}}`) gives the same name to every container of the network.
/// Mapping the link alias to that network alias silently would widen who resolves it, could shadow another
/// service's name, and would recreate the linked service rather than the linking one, so berth asks for it.
/// `links: [db]` or `[db:db]` is accepted: the service is reachable by its name on the shared network.
/// </remarks>
internal static class Links
{
    /// <summary>Checks every link of the merged stack and adds its implicit dependency.</summary>
    public static void Apply(ComposeFileDraft merged, NodeReader reader)
    {
        foreach (var service in merged.Services.Values)
        {
            foreach (var link in service.Links)
            {
                var (target, alias) = link.Value;
                var path = $"services.{service.Name}.links";
                if (!merged.Services.TryGetValue(target, out var linked))
                {
                    reader.Error(link.At, $"{path}: unknown service '{target}'{reader.Hint(target, merged.Services.Keys)}");
                    continue;
                }

                if (target == service.Name)
                {
                    reader.Error(link.At, $"{path}: service '{service.Name}' links to itself");
                    continue;
                }

                if (alias != target)
                {
                    reader.Error(link.At,
                        $"{path}: the alias '{alias}' for '{target}' is not supported by berth: Compose makes it a name only '{service.Name}' resolves; " +
                        $"give '{target}' a network alias instead (services.{target}.networks.NETWORK.aliases: [{alias}]), which every container on that network resolves, " +
                        $"or write '{target}' and use that name");
                    continue;
                }

                if (NetworksOf(service) is not { } own || NetworksOf(linked) is not { } theirs)
                {
                    reader.Error(link.At, $"{path}: '{(NetworksOf(service) is null ? service.Name : target)}' uses network_mode; a link needs both services on a shared network");
                    continue;
                }

                if (!own.Overlaps(theirs))
                {
                    reader.Error(link.At, $"{path}: '{service.Name}' and '{target}' share no network, so '{target}' cannot be reached; put both on one network");
                    continue;
                }

                // Compose orders a link like depends_on with condition service_started; an explicit
                // depends_on entry for the same service says more and wins.
                service.DependsOn.TryAdd(target, new Located<ServiceDependency>(
                    new ServiceDependency(target, DependencyCondition.ServiceStarted, Restart: false, Required: true), link.At));
            }
        }
    }

    /// <summary>The network keys a service is on (the default network when it lists none); null with network_mode.</summary>
    private static HashSet<string>? NetworksOf(ServiceDraft service) =>
        service.NetworkMode is not null ? null
        : service.Networks is { } networks ? [.. networks.Keys]
        : [StackBuilder.DefaultNetwork];
}
