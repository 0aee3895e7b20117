using System.Collections.Immutable;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using ExecutionRolloutResult = Berth.Reconciler.Execution.RolloutResult;

namespace Berth.Reconciler.Loop;

/// <summary>The per-service part of `/status` after a pass. Pure.</summary>
public static class ServiceStatuses
{
    /// <summary>Per desired service: desired and running replicas, how many are settled, and this pass's rollout with its evidence.</summary>
    /// <param name="now">When the rollouts are recorded as having happened (the end of the pass).</param>
    /// <returns>Default (not empty) when the pass took no snapshot of the engine: the previous per-service status is kept.</returns>
    public static ImmutableArray<ServiceStatus> From(DesiredState desired, ApplyResult result, DateTimeOffset now)
    {
        if (result.Observed is not { } observed)
        {
            return default;
        }

        var outcomes = result.Report?.Services.ToDictionary(service => service.QualifiedService, StringComparer.Ordinal) ?? [];
        return [.. desired.AllServices.Select(service =>
        {
            var replicas = observed.ReplicasOf(service).ToList();
            var running = replicas.Count(container => container.State == Observe.ContainerRunState.Running);
            var healthy = service.Job
                ? replicas.Count(container => container.State == Observe.ContainerRunState.Exited && container.ExitCode == 0)
                : replicas.Count(container => container.IsSettled);
            var rollout = outcomes.TryGetValue(service.QualifiedName, out var serviceOutcome)
                ? new RolloutRecord(Map(serviceOutcome.Result), result.Revision, now, serviceOutcome.Evidence?.ToString() ?? serviceOutcome.Message)
                : null;
            var image = Images.RunningImage.Of(service, observed);
            return new ServiceStatus(service.Stack, service.Name, service.Replicas, running, healthy, rollout)
            {
                // An image reference can come from a secret variable: /status never shows one.
                Image = image with { Reference = desired.Secrets.Mask(image.Reference) },
                Job = service.Job ? JobStatusOf(replicas) : null,
            };
        })];
    }

    private static JobStatus JobStatusOf(List<Observe.ObservedContainer> replicas)
    {
        var exited = replicas.Where(container => container.State is Observe.ContainerRunState.Exited or Observe.ContainerRunState.Dead).ToList();
        return new JobStatus(exited.Count == 0 ? null : exited.Max(container => container.ExitCode ?? -1), exited.Count);
    }

    private static RolloutState Map(ExecutionRolloutResult result) => result switch
    {
        ExecutionRolloutResult.Succeeded => RolloutState.Succeeded,
        ExecutionRolloutResult.RolledBack => RolloutState.RolledBack,
        ExecutionRolloutResult.Paused => RolloutState.Paused,
        _ => RolloutState.Failed,
    };
}
