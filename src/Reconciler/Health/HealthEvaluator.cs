using System.Globalization;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Health;

/// <summary>
/// The health gate as a pure function (gitops-engine's habit): from one inspect snapshot and the
/// time elapsed, is the new container proven, still proving itself, or failed? Fails fast on exit,
/// restart or unhealthy; tested from recorded snapshots.
/// </summary>
/// <remarks>
/// With a health check: the container must reach healthy, then stay healthy and running for the
/// monitor window. Without one: it must stay running, without restarts, for the monitor window.
/// </remarks>
public static class HealthEvaluator
{
    /// <param name="snapshot">The current inspect.</param>
    /// <param name="hasHealthCheck">Whether a health check applies (spec or image).</param>
    /// <param name="restartCountAtStart">RestartCount when the gate began; any increase is a failure.</param>
    /// <param name="healthySince">When the gate first saw it healthy (with a health check), else null.</param>
    /// <param name="elapsed">Time since the gate began.</param>
    /// <param name="now">The current time (for the monitor window).</param>
    /// <param name="unhealthyIsFinal">
    /// True (a replacement: the previous container is there to go back to): the first "unhealthy" fails.
    /// False (a first deploy, nothing to roll back to): "unhealthy" is not final before
    /// <paramref name="healthDeadline"/>; the check may still pass (a host busy with the deploy itself).
    /// </param>
    public static GateVerdict Evaluate(
        ContainerSnapshot snapshot,
        bool hasHealthCheck,
        int restartCountAtStart,
        DateTimeOffset? healthySince,
        TimeSpan elapsed,
        TimeSpan healthDeadline,
        TimeSpan monitor,
        DateTimeOffset now,
        bool unhealthyIsFinal = true)
    {
        switch (snapshot.State)
        {
            case ContainerRunState.Exited or ContainerRunState.Dead:
                // Exit code 0 reads like success; say why it fails here (a one-shot job in the spec).
                return GateVerdict.Failed(snapshot.ExitCode == 0
                    ? "exited with code 0: berth runs long-lived services, so a container that exits fails its gate (one-shot jobs are not supported yet)"
                    : $"exited with code {snapshot.ExitCode.ToString(CultureInfo.InvariantCulture)}");
            case ContainerRunState.Restarting:
                return GateVerdict.Failed("restarting");
        }

        if (snapshot.RestartCount > restartCountAtStart)
        {
            return GateVerdict.Failed($"restarted {(snapshot.RestartCount - restartCountAtStart).ToString(CultureInfo.InvariantCulture)} time(s)");
        }

        if (snapshot.State != ContainerRunState.Running)
        {
            return elapsed > healthDeadline
                ? GateVerdict.Failed($"not running after {Format(elapsed)} (state {snapshot.State.ToString().ToLowerInvariant()})")
                : GateVerdict.Pending("not running yet");
        }

        if (hasHealthCheck)
        {
            switch (snapshot.Health)
            {
                case ContainerHealth.Unhealthy when unhealthyIsFinal:
                    return GateVerdict.Failed("unhealthy");
                case ContainerHealth.Unhealthy:
                    // Kubernetes keeps a pod that fails readiness and keeps probing; compose does not gate.
                    return elapsed > healthDeadline
                        ? GateVerdict.Failed($"unhealthy, and still not healthy after {Format(healthDeadline)}")
                        : GateVerdict.Pending("unhealthy for now; nothing to roll back to, so it may still recover");
                case ContainerHealth.Healthy when healthySince is { } since && now - since >= monitor:
                    return GateVerdict.Passed($"healthy for {Format(monitor)}");
                case ContainerHealth.Healthy:
                    return GateVerdict.Pending("healthy, monitoring");
                default:
                    return elapsed > healthDeadline
                        ? GateVerdict.Failed($"did not become healthy within {Format(healthDeadline)}")
                        : GateVerdict.Pending("health: starting");
            }
        }

        return elapsed >= monitor
            ? GateVerdict.Passed($"running for {Format(monitor)}")
            : GateVerdict.Pending("running, monitoring");
    }

    /// <summary>
    /// How long a container may take to report healthy, derived from how the engine schedules probes:
    /// failures during start_period do not count, the first probe runs one interval after start
    /// (start_interval only from Docker 25 on, so not relied upon), each probe may take `timeout`, and
    /// `retries` consecutive failures make it unhealthy. Past that, "starting" means it never will be.
    /// </summary>
    public static TimeSpan HealthDeadline(HealthCheckSpec? healthCheck)
    {
        if (healthCheck is null || healthCheck.Disabled)
        {
            return TimeSpan.FromSeconds(30); // time to reach "running" at all
        }

        var probes = healthCheck.Retries + 1;
        return healthCheck.StartPeriod + ((healthCheck.Interval + healthCheck.Timeout) * probes) + TimeSpan.FromSeconds(5);
    }

    /// <summary>
    /// The deadline of a gate with nothing to roll back to: twice <see cref="HealthDeadline"/>, so a
    /// container that the health check declared unhealthy (after <c>retries</c> failed probes) has as
    /// many probes again to recover before the gate gives up on it.
    /// </summary>
    public static TimeSpan FirstDeployHealthDeadline(HealthCheckSpec? healthCheck) => HealthDeadline(healthCheck) * 2;

    private static string Format(TimeSpan span) => span.TotalSeconds >= 1
        ? $"{span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s"
        : $"{span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms";
}
