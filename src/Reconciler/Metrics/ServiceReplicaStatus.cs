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
    /// <summary>The image the service runs (<c>berth_service_image_info</c>); null in tests that do not care.</summary>
    public Images.RunningImage? Image { get; init; }

    /// <summary>A one-shot job: healthy when every replica exited 0; it is not meant to be running.</summary>
    public bool Job { get; init; }

    /// <summary>What the host should run and does not: fewer replicas running than desired (never for a job), or not healthy.</summary>
    public bool Degraded => (!Job && RunningReplicas < DesiredReplicas) || !Healthy;

    /// <summary>Pure: one status per desired service, sorted by stack and service.</summary>
    public static ImmutableArray<ServiceReplicaStatus> From(DesiredState desired, ObservedState observed)
    {
        var statuses = ImmutableArray.CreateBuilder<ServiceReplicaStatus>();
        foreach (var service in desired.AllServices.OrderBy(service => service.Stack, StringComparer.Ordinal).ThenBy(service => service.Name, StringComparer.Ordinal))
        {
            var running = observed.ReplicasOf(service).Where(container => container.State == ContainerRunState.Running).ToList();
            var healthy = service.Job
                ? observed.ReplicasOf(service).Count(container => container.State == ContainerRunState.Exited && container.ExitCode == 0) == service.Replicas
                : running.Count == service.Replicas && running.All(container => container.IsSettled);
            var image = Images.RunningImage.Of(service, observed);
            statuses.Add(new ServiceReplicaStatus(service.Stack, service.Name, service.Replicas, running.Count, healthy)
            {
                // A metric label must never carry a secret value (an image named by a secret variable).
                Image = image with { Reference = desired.Secrets.Mask(image.Reference) },
                Job = service.Job,
            });
        }

        return statuses.ToImmutable();
    }
}
