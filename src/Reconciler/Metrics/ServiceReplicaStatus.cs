using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Metrics;

/// <summary>One desired service as the engine runs it: what the per-service gauges show.</summary>
/// <param name="RunningReplicas">Running containers of the service, surplus ones included (a pending scale-down shows).</param>
/// <param name="Healthy">
/// Exactly the desired number of replicas run and each is healthy (or has no health check).
/// A service scaled to 0 with nothing running is healthy: it is what was asked for.
/// </param>
public sealed record ServiceReplicaStatus(string Stack, string Service, int DesiredReplicas, int RunningReplicas, bool Healthy)
{
    /// <summary>Pure: one status per desired service, sorted by stack and service.</summary>
    public static ImmutableArray<ServiceReplicaStatus> From(DesiredState desired, ObservedState observed)
    {
        var statuses = ImmutableArray.CreateBuilder<ServiceReplicaStatus>();
        foreach (var service in desired.AllServices.OrderBy(service => service.Stack, StringComparer.Ordinal).ThenBy(service => service.Name, StringComparer.Ordinal))
        {
            // An unproven start-first replacement (still under its temporary name) is not a replica yet.
            var running = observed.Containers
                .Where(container => container.Stack == service.Stack && container.Service == service.Name)
                .Where(container => container.ReplacementOf is null || container.Name == container.ReplacementOf)
                .Where(container => container.State == ContainerRunState.Running)
                .ToList();
            var healthy = running.Count == service.Replicas
                && running.All(container => container.Health is ContainerHealth.Healthy or ContainerHealth.None);
            statuses.Add(new ServiceReplicaStatus(service.Stack, service.Name, service.Replicas, running.Count, healthy));
        }

        return statuses.ToImmutable();
    }
}
