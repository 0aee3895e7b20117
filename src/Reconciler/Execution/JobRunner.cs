using System.Globalization;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Health;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Execution;

/// <summary>
/// Runs a one-shot job's steps (<see cref="RunJobStep"/>, and removals of its surplus or duplicate
/// containers): remove the container it replaces, create, start, and wait for the exit on the engine's
/// wait endpoint (one request, no polling). Exit 0 is the job's success; any other exit fails it with
/// the exit code and its last log lines as evidence, which its dependants' rollouts carry too
/// (<see cref="DependantBlock"/>). No health gate: a job's container is meant to exit.
/// </summary>
internal sealed class JobRunner(IContainerEngine engine, TimeProvider timeProvider, StartSlots startSlots)
{
    private const int EvidenceLogLines = 10;

    public async Task<ServiceOutcome> RunAsync(
        List<PlanStep> steps, string qualifiedService, List<StepOutcome> outcomes, ExecutionScope scope, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        var messages = new List<string>();
        foreach (var step in steps)
        {
            progress(new ProgressEvent(qualifiedService, step.Describe()));
            try
            {
                switch (step)
                {
                    case RemoveContainerStep remove:
                        await RemoveAsync(remove.Container.Id, remove.Container.State == Observe.ContainerRunState.Running, null, cancellationToken).ConfigureAwait(false);
                        outcomes.Add(new StepOutcome(step, StepResult.Succeeded, "removed"));
                        break;
                    case RunJobStep run:
                        var (evidence, message) = await RunOneAsync(run, scope, cancellationToken).ConfigureAwait(false);
                        if (evidence is not null)
                        {
                            outcomes.Add(new StepOutcome(step, StepResult.Failed, evidence.Reason, evidence) { Failure = FailureKind.Unhealthy });
                            // The revision's job failed: like a failed health gate, held against the revision (FailedRevisionHold).
                            return new ServiceOutcome(qualifiedService, RolloutResult.Failed, $"job failed: {evidence.Reason}", evidence) { Failure = FailureKind.Unhealthy };
                        }

                        progress(new ProgressEvent(qualifiedService, message));
                        outcomes.Add(new StepOutcome(step, StepResult.Succeeded, message));
                        messages.Add(message);
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected step in a job's group: {step.GetType().Name}");
                }
            }
            catch (EngineException exception) when (exception.StatusCode is not null)
            {
                // A refusal (4xx: name in use, no such image) is about the host's state; a 5xx is transient,
                // and so is a container removed since the observation (drift: the next pass re-observes).
                var failure = EngineErrors.IsTransient(exception) || EngineErrors.IsVanished(exception) ? FailureKind.Transient : FailureKind.Host;
                var error = $"engine answered {((int)exception.StatusCode.Value).ToString(CultureInfo.InvariantCulture)}: {exception.ResponseBody?.Trim()}";
                outcomes.Add(new StepOutcome(step, StepResult.Failed, error) { Failure = failure });
                return new ServiceOutcome(qualifiedService, RolloutResult.Failed, $"{step.Action} failed: {error}", null) { Failure = failure };
            }
        }

        return new ServiceOutcome(qualifiedService, RolloutResult.Succeeded, messages.Count == 0 ? "converged" : string.Join("; ", messages), null);
    }

    /// <returns>Evidence when the job did not exit 0, else null and what to report ("exited 0 at ...").</returns>
    private async Task<(GateEvidence? Evidence, string Message)> RunOneAsync(RunJobStep run, ExecutionScope scope, CancellationToken cancellationToken)
    {
        string containerId;
        var timeout = run.Service.JobTimeout;
        if (run.WaitsForRunning)
        {
            containerId = run.Current!.Id;
            timeout = await RemainingTimeoutAsync(containerId, timeout, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (run.Current is { } current)
            {
                // The old run is only a record (exited, or of another definition): nothing serves from it.
                await RemoveAsync(current.Id, current.State is Observe.ContainerRunState.Running or Observe.ContainerRunState.Restarting or Observe.ContainerRunState.Paused, run.Service, cancellationToken).ConfigureAwait(false);
            }

            // Under a start slot like every container berth starts (units have no bound of their own).
            using (await startSlots.EnterAsync(cancellationToken).ConfigureAwait(false))
            {
                containerId = await engine.CreateContainerAsync(new ContainerCreateRequest(run.Service, run.Replica, run.ContainerName, scope.Owner, null, AttachAliases: true), cancellationToken).ConfigureAwait(false);
                await engine.StartContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
            }
        }

        var startedAt = timeProvider.GetTimestamp();
        var exit = await WaitForExitAsync(containerId, timeout, cancellationToken).ConfigureAwait(false);
        if (exit is null)
        {
            return (await TimedOutAsync(run, containerId, cancellationToken).ConfigureAwait(false), "");
        }

        var took = timeProvider.GetElapsedTime(startedAt);
        var finished = exit.FinishedAt is { } at ? $" at {at.ToString("u", CultureInfo.InvariantCulture)}" : "";
        if (exit.ExitCode == 0)
        {
            return (null, $"exited 0{finished} after {took.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s");
        }

        var logs = await SafeTailAsync(containerId, cancellationToken).ConfigureAwait(false);
        return (new GateEvidence(run.ContainerName, $"job exited with code {exit.ExitCode.ToString(CultureInfo.InvariantCulture)}{finished}", exit.ExitCode, null, logs), "");
    }

    /// <summary>
    /// What is left of a running job's timeout, counted from its own start (one inspect, only for a job
    /// found running). Not from this pass's: a daemon restarted mid-job (its stuck-pass watchdog, an upgrade)
    /// would otherwise give the job the whole timeout again at every start, and a job that never exits would
    /// never be stopped. At least a second, so that a job that exited just now is seen to have exited.
    /// </summary>
    private async Task<TimeSpan> RemainingTimeoutAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var snapshot = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (snapshot.StartedAt is not { } started)
        {
            return timeout;
        }

        var remaining = timeout - (timeProvider.GetUtcNow() - started);
        return remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1);
    }

    /// <summary>The job's exit, or null when it did not exit within <paramref name="timeout"/>.</summary>
    private async Task<ContainerExit?> WaitForExitAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await engine.WaitForExitAsync(containerId, waiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (EngineException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The client may report its aborted request as an I/O failure rather than a cancellation.
            return null;
        }
    }

    /// <summary>
    /// A job that never exits would block the pass (and every dependant) forever: it is stopped, with its
    /// grace period, and kept like a failed job for its logs. The evidence fails it and its dependants,
    /// which keep their running containers (<see cref="DependantBlock"/>).
    /// </summary>
    private async Task<GateEvidence> TimedOutAsync(RunJobStep run, string containerId, CancellationToken cancellationToken)
    {
        await engine.StopContainerAsync(containerId, run.Service.StopGrace(), cancellationToken).ConfigureAwait(false);
        var logs = await SafeTailAsync(containerId, cancellationToken).ConfigureAwait(false);
        var timeout = Spec.Yaml.DurationSyntax.Format(run.Service.JobTimeout);
        return new GateEvidence(run.ContainerName, $"job did not exit within {timeout}, stopped and kept for its logs (x-berth.job_timeout)", null, null, logs);
    }

    private async Task RemoveAsync(string containerId, bool running, ServiceSpec? service, CancellationToken cancellationToken)
    {
        if (running)
        {
            await engine.StopContainerAsync(containerId, service?.StopGrace() ?? ServiceSpec.EngineDefaultStopGrace, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await engine.RemoveContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        }
        catch (EngineNotFoundException)
        {
            // Gone already (removed by hand since the observation): what the step wanted.
        }
    }

    private async Task<string> SafeTailAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.TailLogsAsync(containerId, EvidenceLogLines, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // evidence is best-effort: a failed log read must not hide the job's failure
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return $"(logs unavailable: {exception.Message})";
        }
    }
}

/// <summary>
/// A dependant of a one-shot job waits for its exit 0: when the job failed in this pass, the dependant's
/// changes are not made (its running containers are kept) and its rollout fails with the job's
/// evidence. Held against the revision like the job (<see cref="FailureKind.Unhealthy"/>), so the
/// next pass of the same revision does not start it without the job (the hold drops the job's run).
/// </summary>
internal static class DependantBlock
{
    /// <param name="finished">The outcomes of the units this one waited for.</param>
    public static ServiceOutcome? Check(IReadOnlyList<PlanStep> group, IEnumerable<ServiceOutcome> finished)
    {
        var service = group.Select(step => step.DesiredService).FirstOrDefault(found => found is not null);
        if (service is null)
        {
            return null;
        }

        var failedJobs = finished.Where(outcome => outcome.Result != RolloutResult.Succeeded).ToDictionary(outcome => outcome.QualifiedService, StringComparer.Ordinal);
        foreach (var dependency in service.DependsOn.Where(dependency => dependency.Condition == DependencyCondition.ServiceCompletedSuccessfully && dependency.Required))
        {
            if (failedJobs.TryGetValue($"{service.Stack}/{dependency.Service}", out var job))
            {
                var reason = job.Evidence is { } evidence ? evidence.Reason : job.Message;
                return new ServiceOutcome(service.QualifiedName, RolloutResult.Failed, $"held back: job {job.QualifiedService} did not complete successfully ({reason}); the running containers are kept", job.Evidence)
                {
                    Failure = job.Failure == FailureKind.Unhealthy ? FailureKind.Unhealthy : FailureKind.Host,
                };
            }
        }

        return null;
    }
}
