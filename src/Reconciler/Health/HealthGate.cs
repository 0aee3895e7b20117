using Berth.Reconciler.Engine;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Health;

/// <summary>Watches one new container until <see cref="HealthEvaluator"/> says passed or failed.</summary>
/// <remarks>
/// A gate during which the engine was away (<see cref="IEngineOutageWitness"/>, when the engine keeps
/// count) cannot fail the container: an engine restart stops every container, and what the gate then
/// sees is the engine's doing, not the version's. It throws a transient <see cref="EngineException"/>
/// instead, so the pass is retried with backoff and the revision is not held (issue #20); the next pass
/// starts what the engine stopped and gates it again, and a version that really fails fails there.
/// </remarks>
public sealed class HealthGate(IContainerEngine engine, TimeProvider timeProvider)
{
    private readonly IEngineOutageWitness? outages = engine as IEngineOutageWitness;

    /// <summary>How often the gate inspects the container. Inspect is cheap; health probes are not ours.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <returns>null when the container passed; otherwise the evidence of its failure.</returns>
    public async Task<GateEvidence?> WaitAsync(string containerId, ServiceSpec service, TimeSpan monitor, CancellationToken cancellationToken)
    {
        var healthCheck = service.Container.HealthCheck;
        var deadline = HealthEvaluator.HealthDeadline(healthCheck) + monitor;
        var started = timeProvider.GetUtcNow();
        var outagesAtStart = outages?.OutagesSeen ?? 0;
        var first = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);

        // A health check defined by the image (not the spec) shows up as a health status on inspect.
        var hasHealthCheck = healthCheck is null ? first.Health != Observe.ContainerHealth.None : !healthCheck.Disabled;
        var restartCountAtStart = first.RestartCount;
        DateTimeOffset? healthySince = null;
        var snapshot = first;
        while (true)
        {
            var now = timeProvider.GetUtcNow();
            if (snapshot.Health == Observe.ContainerHealth.Healthy)
            {
                healthySince ??= now;
            }

            var verdict = HealthEvaluator.Evaluate(snapshot, hasHealthCheck, restartCountAtStart, healthySince, now - started, deadline, monitor, now);
            switch (verdict.State)
            {
                case GateState.Passed:
                    return null;
                case GateState.Failed when outages is not null && outages.OutagesSeen > outagesAtStart:
                    throw new EngineException(
                        EngineFailureKind.Transient,
                        $"{snapshot.Name}: {verdict.Reason}, after the engine was unreachable during its health gate (an engine restart stops every container unless live-restore is on); not held against the revision");
                case GateState.Failed:
                    var logs = await SafeTailAsync(containerId, cancellationToken).ConfigureAwait(false);
                    var exited = snapshot.State is Observe.ContainerRunState.Exited or Observe.ContainerRunState.Dead;
                    return new GateEvidence(snapshot.Name, verdict.Reason, exited ? snapshot.ExitCode : null, snapshot.LastHealthOutput, logs);
            }

            await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            snapshot = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> SafeTailAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.TailLogsAsync(containerId, 10, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // evidence is best-effort: a failed log read must not hide the gate failure
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return $"(logs unavailable: {exception.Message})";
        }
    }
}
