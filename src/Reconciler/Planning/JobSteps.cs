using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Planning;

/// <summary>
/// Run one replica of a one-shot job (<see cref="ServiceSpec.Job"/>) to its exit: remove the container
/// it replaces (<see cref="Current"/>, exited or of another definition), create, start, and wait for the
/// exit. No health gate and no rollout: a job has nothing that serves while it is replaced. Its
/// dependants' steps come after it (<see cref="PlanGraph"/>: depends_on edges) and run only when it
/// exited 0 (<see cref="Execution.JobRunner"/>).
/// </summary>
/// <param name="Dependants">"stack/service" of the services that wait for its exit 0, sorted: what the plan line names.</param>
public sealed record RunJobStep(ServiceSpec Service, int Replica, string ContainerName, ObservedContainer? Current, ImmutableArray<string> Dependants, string Cause) : PlanStep(Cause)
{
    /// <summary>
    /// The current container runs the desired definition already (an earlier pass started it and ended
    /// before it exited): it is waited for, not run again.
    /// </summary>
    public bool WaitsForRunning { get; init; }

    public override string Action =>
        $"{(WaitsForRunning ? "wait for job" : "run job")} {ContainerName} (exit 0 required before {string.Join(", ", Dependants)})";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>
/// The planner's rules for one-shot jobs: a job's container that exited 0 with the desired definition
/// (config hash and image) is converged and never drift; one that exited otherwise, or of another
/// definition, is run again, which the failed-revision hold keeps from looping (a failed run fails the
/// revision for the job and its dependants: it is retried with a new revision or --retry-failed).
/// </summary>
internal static class JobSteps
{
    public static List<PlanStep> Plan(ServiceSpec job, IEnumerable<ServiceSpec> stackServices, ObservedState observed, ImmutableArray<PlanProblem>.Builder problems)
    {
        var steps = new List<PlanStep>();
        ImmutableArray<string> dependants = [.. stackServices
            .Where(service => service.DependsOn.Any(dependency => dependency.Service == job.Name && dependency.Condition == DependencyCondition.ServiceCompletedSuccessfully))
            .Select(service => service.QualifiedName).Order(StringComparer.Ordinal)];
        var containers = observed.Containers.Where(container => container.Stack == job.Stack && container.Service == job.Name).ToList();
        observed.ImageIds.TryGetValue(job.Container.Image, out var desiredImageId);

        for (var replica = 1; replica <= job.Replicas; replica++)
        {
            var name = ContainerNames.For(job, replica);
            var candidates = containers.Where(container => container.Replica == replica).OrderBy(container => container.Name, StringComparer.Ordinal).ToList();
            var current = candidates.FirstOrDefault(container => container.Name == name) ?? candidates.FirstOrDefault();
            foreach (var duplicate in candidates.Where(container => container != current))
            {
                steps.Add(new RemoveContainerStep(duplicate, $"duplicate of replica {replica.ToString(CultureInfo.InvariantCulture)}"));
            }

            if (current is null)
            {
                if (observed.ForeignContainerNames.Contains(name))
                {
                    problems.Add(new PlanProblem(job.QualifiedName,
                        $"container name {name} is taken by a container berth does not own; berth leaves it alone. Remove or rename it, or set container_name"));
                    continue;
                }

                // No container is the job's record of never having run (or of an operator removing it to run it again).
                steps.Add(new RunJobStep(job, replica, name, null, dependants, "not run yet"));
                continue;
            }

            if (current.ConfigHash != job.ConfigHash)
            {
                steps.Add(new RunJobStep(job, replica, name, current, dependants, "definition changed"));
            }
            else if (desiredImageId is not null && !string.IsNullOrEmpty(current.ImageId) && current.ImageId != desiredImageId)
            {
                steps.Add(new RunJobStep(job, replica, name, current, dependants, "image changed"));
            }
            else if (current.State is ContainerRunState.Running or ContainerRunState.Restarting or ContainerRunState.Paused)
            {
                steps.Add(new RunJobStep(job, replica, name, current, dependants, "still running (started by an earlier pass)") { WaitsForRunning = true });
            }
            else if (current.State == ContainerRunState.Created)
            {
                steps.Add(new RunJobStep(job, replica, name, current, dependants, "created but never started"));
            }
            else if (current.ExitCode is not 0)
            {
                var exit = current.ExitCode is { } code ? $"exited with code {code.ToString(CultureInfo.InvariantCulture)}" : "did not exit cleanly";
                steps.Add(new RunJobStep(job, replica, name, current, dependants, $"{exit} in an earlier run; run again for this revision"));
            }

            // Exited 0 with the desired definition: done, like compose's exited job container. Not drift.
        }

        foreach (var surplus in containers.Where(container => container.Replica > job.Replicas || container.Replica < 1)
                     .OrderByDescending(container => container.Replica).ThenBy(container => container.Name, StringComparer.Ordinal))
        {
            steps.Add(new RemoveContainerStep(surplus, $"scale -> {job.Replicas.ToString(CultureInfo.InvariantCulture)}"));
        }

        return steps;
    }
}
