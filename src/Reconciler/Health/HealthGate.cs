using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Health;

/// <summary>Watches one new container until <see cref="HealthEvaluator"/> says passed or failed.</summary>
/// <remarks>
/// With the pass's <see cref="ContainerEventHub"/>, the gate learns of health changes, exits and
/// restarts from the engine's events and inspects only at the start, when an event says the container
/// may have failed (the inspect is the truth and carries the evidence: exit code, health output), when
/// its monitor window ends, and at the health deadline. So its inspects are a small constant, not one per
/// <see cref="PollInterval"/> (an inspect waits for the container's lock while a health check runs).
/// Without events, or once the stream broke, it polls by inspect.
/// A gate during which the engine was away (<see cref="IEngineOutageWitness"/>, when the engine keeps
/// count) cannot fail the container: an engine restart stops every container, and what the gate then
/// sees is the engine's doing, not the version's. It throws a transient <see cref="EngineException"/>
/// instead, so the pass is retried with backoff and the revision is not held (issue #20); the next pass
/// starts what the engine stopped and gates it again, and a version that really fails fails there.
/// </remarks>
public sealed class HealthGate(IContainerEngine engine, TimeProvider timeProvider, ContainerEventHub? events = null)
{
    private readonly IEngineOutageWitness? outages = engine as IEngineOutageWitness;

    /// <summary>How often the gate inspects the container when it has no event stream.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    // A look this much past a boundary, so that the evaluator's "past the deadline" and "healthy for the
    // monitor window" hold when the gate inspects there.
    private static readonly TimeSpan PastBoundary = TimeSpan.FromMilliseconds(10);

    /// <param name="containerId">The container's id or name.</param>
    /// <param name="nothingToRollBackTo">
    /// A first deploy (a new replica, a start, a restart): no previous container to go back to, so an
    /// "unhealthy" is not final until <see cref="HealthEvaluator.FirstDeployHealthDeadline"/>; the
    /// container keeps running either way (docs/rollout.md, "First deploys"); with a health check, its first
    /// "healthy" passes the gate (no monitor window).
    /// </param>
    /// <returns>null when the container passed; otherwise the evidence of its failure.</returns>
    public async Task<GateEvidence?> WaitAsync(string containerId, ServiceSpec service, TimeSpan monitor, CancellationToken cancellationToken, bool nothingToRollBackTo = false)
    {
        var healthCheck = service.Container.HealthCheck;
        var deadline = (nothingToRollBackTo ? HealthEvaluator.FirstDeployHealthDeadline(healthCheck) : HealthEvaluator.HealthDeadline(healthCheck)) + monitor;
        var started = timeProvider.GetUtcNow();
        var outagesAtStart = outages?.OutagesSeen ?? 0;
        var first = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);

        // The hub has kept this container's events since the pass began, so subscribing after the first
        // inspect (which gives the full id events carry) loses nothing.
        using var feed = events?.Subscribe(first.Id);

        // A health check defined by the image (not the spec) shows up as a health status on inspect.
        var hasHealthCheck = healthCheck is null ? first.Health != ContainerHealth.None : !healthCheck.Disabled;

        // A first deploy with a health check is proven by its first "healthy" (issue #16). The monitor window
        // exists to catch a replacement that fails soon after while its proven predecessor can still be put
        // back; with nothing to put back it only delayed every cold deploy by its length (Swarm, too, monitors
        // updates only: update_config.monitor). Without a health check, "running for the monitor window" is
        // the only evidence there is, so it stays.
        if (nothingToRollBackTo && hasHealthCheck)
        {
            monitor = TimeSpan.Zero;
        }

        var restartCountAtStart = first.RestartCount;
        DateTimeOffset? healthySince = null;
        var snapshot = first;
        var watching = feed is not null;

        // Whether snapshot is an inspect (true) or an inspect updated by a "healthy" event (false).
        var inspected = true;
        while (true)
        {
            var now = timeProvider.GetUtcNow();
            if (snapshot.Health == ContainerHealth.Healthy)
            {
                healthySince ??= now;
            }
            else if (inspected)
            {
                // The monitor window counts from the last time it turned healthy: a "healthy" event kept
                // from before a restart berth did in this pass must not shorten it.
                healthySince = null;
            }

            var verdict = HealthEvaluator.Evaluate(snapshot, hasHealthCheck, restartCountAtStart, healthySince, now - started, deadline, monitor, now, unhealthyIsFinal: !nothingToRollBackTo);
            switch (verdict.State)
            {
                case GateState.Passed when !inspected:
                    // Only an inspect proves it: the event may be stale, and the window may have hidden a restart.
                    snapshot = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
                    inspected = true;
                    continue;
                case GateState.Passed:
                    return null;
                case GateState.Failed when outages is not null && outages.OutagesSeen > outagesAtStart:
                    throw new EngineException(
                        EngineFailureKind.Transient,
                        $"{snapshot.Name}: {verdict.Reason}, after the engine was unreachable during its health gate (an engine restart stops every container unless live-restore is on); not held against the revision");
                case GateState.Failed:
                    // Every failing snapshot is a fresh inspect (events only ever say "healthy" on their own).
                    var logs = await SafeTailAsync(containerId, cancellationToken).ConfigureAwait(false);
                    var exited = snapshot.State is ContainerRunState.Exited or ContainerRunState.Dead;
                    return new GateEvidence(snapshot.Name, verdict.Reason, exited ? snapshot.ExitCode : null, snapshot.LastHealthOutput, logs);
            }

            if (!watching)
            {
                await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
                snapshot = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var lookAt = NextLook(snapshot, hasHealthCheck, healthySince, started, deadline, monitor);
            var (signal, engineEvent) = await feed!.NextAsync(lookAt - now, timeProvider, cancellationToken).ConfigureAwait(false);
            switch (signal)
            {
                case FeedSignal.TimeToLook when timeProvider.GetUtcNow() < lookAt:
                    // The timer counts elapsed time by the system's millisecond tick, the verdict by the
                    // clock: the timer can fire up to a millisecond before the clock reaches the look, and an
                    // inspect then would find the window not yet over, and the next (zero) wait would inspect
                    // again until the clock caught up (3-7 inspects instead of one). Wait out the rest instead.
                    continue;
                case FeedSignal.Event when engineEvent is { Action: EngineEventActions.HealthStatus, Health: ContainerHealth.Healthy }
                                           && snapshot.State == ContainerRunState.Running:
                    // Healthy needs no inspect: the monitor window starts now, and the look at its end is
                    // an inspect that would catch a stale event (the health after a restart is "starting").
                    snapshot = snapshot with { Health = ContainerHealth.Healthy };
                    inspected = false;
                    break;
                case FeedSignal.Event when engineEvent is { Action: EngineEventActions.Start } && snapshot.State == ContainerRunState.Running:
                    // Its own start, kept from just before the gate began: nothing to look at. (A restart
                    // shows as die or restart first, and those are looked at.)
                    break;
                case FeedSignal.StreamGone:
                    // Events may have been missed while the stream went down: look now, then poll.
                    watching = false;
                    snapshot = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
                    inspected = true;
                    break;
                default:
                    // Unhealthy, die, oom, restart, start, destroy, or time to look: the inspect decides.
                    snapshot = await engine.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
                    inspected = true;
                    break;
            }
        }
    }

    /// <summary>When the verdict can next change without an event: the end of the monitor window, else the deadline.</summary>
    private static DateTimeOffset NextLook(
        ContainerSnapshot snapshot, bool hasHealthCheck, DateTimeOffset? healthySince, DateTimeOffset started, TimeSpan deadline, TimeSpan monitor)
    {
        if (snapshot.State == ContainerRunState.Running)
        {
            if (hasHealthCheck && healthySince is { } since && snapshot.Health == ContainerHealth.Healthy)
            {
                return since + monitor + PastBoundary;
            }

            if (!hasHealthCheck)
            {
                return started + monitor + PastBoundary;
            }
        }

        return started + deadline + PastBoundary;
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
