using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Planning;

/// <summary>One step of the plan's graph: its number, what it waits for, and whose it is.</summary>
/// <param name="Id">1-based, in plan order: what `berth plan` prints as #n.</param>
/// <param name="After">The nodes that must have finished before this one starts (sorted).</param>
public sealed record PlanNode(int Id, PlanStep Step, ImmutableArray<int> After)
{
    /// <summary>The service ("stack/service") the node belongs to, or null for images, networks, volumes and removals of what left the spec.</summary>
    public string? Owner => Step.QualifiedService;
}

/// <summary>
/// The edges of a plan, as the planner decides them: pure, a function of the steps alone, so a plan
/// filtered by a hold (<see cref="Reconciliation.FailedRevisionHold"/>) is linked anew and never
/// carries an edge to a step it dropped.
/// </summary>
/// <remarks>
/// The steps of one service run as one unit (its creates and starts, their health gates, then its
/// replacements as one rollout with its batches): an edge to any step of a service waits for the whole
/// unit. The edges:
/// - a service's steps come after the images, networks and volumes it uses are there, after its front
///   (a replica joins the front's rules only once proven), after its waits for healthy dependencies,
///   and after the services it depends on (depends_on, any condition) made their changes;
/// - its replacements come after its other container steps (their gates), batch by batch
///   (update_config.parallelism: a batch starts when the one before it finished);
/// - a front the spec no longer asks for goes after the service's replicas got the names back;
/// - what left the spec goes after every desired service's changes (their new containers first), its
///   front after its containers;
///   networks and volumes after every container and front that could still be attached to them.
/// </remarks>
public static class PlanGraph
{
    public static ImmutableArray<PlanNode> Link(ImmutableArray<PlanStep> steps)
    {
        if (steps.IsDefaultOrEmpty)
        {
            return [];
        }

        var ids = new Dictionary<PlanStep, int>(ReferenceEqualityComparer.Instance);
        for (var index = 0; index < steps.Length; index++)
        {
            ids[steps[index]] = index + 1;
        }

        int Id(PlanStep step) => ids[step];

        // Steps of desired services, by owner, in plan order.
        var byService = steps.Where(IsDesiredServiceChange).GroupBy(step => step.QualifiedService!, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.ToList(), StringComparer.Ordinal);
        var lastOfService = byService.ToDictionary(entry => entry.Key, entry => Id(entry.Value[^1]), StringComparer.Ordinal);
        var serviceEnds = lastOfService.Values.Order().ToList();

        var pulls = steps.OfType<PullImageStep>().ToList();
        var networkCreates = steps.OfType<CreateNetworkStep>().ToList();
        var volumeCreates = steps.OfType<CreateVolumeStep>().ToList();
        var containerRemovals = steps.Where(step => step is RemoveContainerStep { ServiceLeftSpec: true } or RemoveFrontStep { OfDesiredService: false }).Select(Id).ToList();

        var edges = new Dictionary<int, SortedSet<int>>();
        foreach (var step in steps)
        {
            edges[Id(step)] = [];
        }

        foreach (var (service, serviceSteps) in byService)
        {
            var spec = serviceSteps.Select(step => step.DesiredService).FirstOrDefault(found => found is not null);
            var waits = serviceSteps.OfType<WaitHealthyStep>().ToList();
            var front = serviceSteps.OfType<EnsureFrontStep>().Select(Id).ToList();
            var containerSteps = serviceSteps.Where(step => step is not WaitHealthyStep and not EnsureFrontStep and not RemoveFrontStep).ToList();
            var resources = spec is null ? [] : ResourcesOf(spec, pulls, networkCreates, volumeCreates).ToList();
            var dependencies = spec is null ? [] : spec.DependsOn
                .Select(dependency => $"{spec.Stack}/{dependency.Service}")
                .Where(lastOfService.ContainsKey)
                .Select(dependency => lastOfService[dependency]).ToList();

            foreach (var wait in waits)
            {
                if (lastOfService.TryGetValue(wait.Service.QualifiedName, out var dependencyEnd))
                {
                    edges[Id(wait)].Add(dependencyEnd);
                }
            }

            // What the front waits for (it needs no image), and what every container step waits for.
            var beforeFront = resources.Where(resource => resource is not PullImageStep).Select(Id).Concat(waits.Select(Id)).Concat(dependencies).ToList();
            var beforeContainers = resources.Select(Id).Concat(front).Concat(waits.Select(Id)).Concat(dependencies).ToList();
            foreach (var ensure in serviceSteps.OfType<EnsureFrontStep>())
            {
                edges[Id(ensure)].UnionWith(beforeFront);
            }

            var others = containerSteps.Where(step => step is not ReplaceContainerStep).ToList();
            foreach (var step in others)
            {
                edges[Id(step)].UnionWith(beforeContainers);
            }

            var replacements = containerSteps.OfType<ReplaceContainerStep>().ToList();
            var batchSize = spec is null || spec.Update.Parallelism <= 0 ? Math.Max(1, replacements.Count) : spec.Update.Parallelism;
            for (var index = 0; index < replacements.Count; index++)
            {
                var node = edges[Id(replacements[index])];
                var batchStart = index / batchSize * batchSize;
                if (batchStart == 0)
                {
                    node.UnionWith(beforeContainers);
                    node.UnionWith(others.Select(Id));
                }
                else
                {
                    node.UnionWith(replacements.Skip(batchStart - batchSize).Take(batchSize).Select(Id));
                }
            }

            foreach (var removal in serviceSteps.OfType<RemoveFrontStep>())
            {
                edges[Id(removal)].UnionWith(containerSteps.Select(Id));
            }
        }

        foreach (var step in steps)
        {
            switch (step)
            {
                case RemoveContainerStep { ServiceLeftSpec: true }:
                    edges[Id(step)].UnionWith(serviceEnds);
                    break;
                case RemoveFrontStep { OfDesiredService: false } front:
                    // After its service's containers: each of their removals routes the front (retires the container).
                    edges[Id(step)].UnionWith(serviceEnds);
                    edges[Id(step)].UnionWith(steps.Where(other => other is RemoveContainerStep { ServiceLeftSpec: true } removal && removal.Container.QualifiedService == front.Front.QualifiedService).Select(Id));
                    break;
                case RemoveNetworkStep or RemoveVolumeStep:
                    edges[Id(step)].UnionWith(serviceEnds);
                    edges[Id(step)].UnionWith(containerRemovals);
                    break;
            }
        }

        return [.. steps.Select(step => new PlanNode(Id(step), step, [.. edges[Id(step)]]))];
    }

    /// <summary>A step that belongs to a service of the desired state (not the removal of one that left it).</summary>
    public static bool IsDesiredServiceChange(PlanStep step) =>
        step.QualifiedService is not null && step is not RemoveContainerStep { ServiceLeftSpec: true };

    private static IEnumerable<PlanStep> ResourcesOf(ServiceSpec spec, List<PullImageStep> pulls, List<CreateNetworkStep> networks, List<CreateVolumeStep> volumes)
    {
        var networkNames = spec.Container.Networks.Select(network => network.EngineName).ToHashSet(StringComparer.Ordinal);
        var volumeNames = spec.Container.Mounts.Where(mount => mount.Type == MountType.Volume && mount.Source is not null).Select(mount => mount.Source!).ToHashSet(StringComparer.Ordinal);
        return pulls.Where(pull => pull.Image == spec.Container.Image).Cast<PlanStep>()
            .Concat(networks.Where(network => networkNames.Contains(network.Network.EngineName)))
            .Concat(volumes.Where(volume => volumeNames.Contains(volume.Volume.EngineName)));
    }
}
