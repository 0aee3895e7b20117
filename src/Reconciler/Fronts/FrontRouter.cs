using System.Collections.Concurrent;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Fronts;

/// <summary>
/// Decides which replicas a service's front forwards to, and installs that. One per pass.
/// </summary>
/// <remarks>
/// A replica is forwarded to when it runs, is healthy (or has no health check), and is either a
/// settled replica (its canonical name) or a replacement this pass proved (<see cref="Admit"/>).
/// A replica being replaced is taken out (<see cref="Retire"/>) before it stops, so the front never
/// sends a new connection to a container that is going away. Every routing reads the engine again
/// and is serialized per service, so concurrent replacements of one service (parallelism) never
/// undo each other's changes.
/// </remarks>
public sealed class FrontRouter(IContainerEngine engine, IFrontRules rules, string hostIdentity)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> serviceLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> admitted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> retired = new(StringComparer.Ordinal);

    /// <summary>A replacement that passed its health gate: forwarded to from the next routing on, under its temporary name.</summary>
    public void Admit(string containerId) => admitted[containerId] = true;

    /// <summary>A container about to stop: never forwarded to again in this pass.</summary>
    public void Retire(string containerId) => retired[containerId] = true;

    /// <summary>Undoes <see cref="Retire"/> (a stop-first replacement failed and the old container runs again).</summary>
    public void Reinstate(string containerId) => retired.TryRemove(containerId, out _);

    /// <summary>Points the service's front at its current proven replicas, as the engine shows them now.</summary>
    public Task RouteAsync(ServiceSpec service, CancellationToken cancellationToken) =>
        RouteAsync(service, () => engine.ObserveAsync(hostIdentity, [], cancellationToken), cancellationToken);

    /// <summary>Points the service's front at the proven replicas in <paramref name="observed"/> (the end of a pass).</summary>
    public Task RouteAsync(ServiceSpec service, ObservedState observed, CancellationToken cancellationToken) =>
        RouteAsync(service, () => Task.FromResult(observed), cancellationToken);

    /// <remarks>Observed under the service's lock: a concurrent replacement's change is always seen.</remarks>
    private async Task RouteAsync(ServiceSpec service, Func<Task<ObservedState>> observe, CancellationToken cancellationToken)
    {
        if (!service.Front || service.Container.Networks.IsEmpty)
        {
            return;
        }

        var serviceLock = serviceLocks.GetOrAdd(service.QualifiedName, _ => new SemaphoreSlim(1, 1));
        await serviceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var observed = await observe().ConfigureAwait(false);
            var front = observed.Fronts.FirstOrDefault(candidate => candidate.QualifiedService == service.QualifiedName && candidate.State == ContainerRunState.Running && candidate.Pid > 0);
            if (front is not null)
            {
                await rules.ApplyAsync(front.Pid, FrontRules.NatTable(Backends(service, observed)), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            serviceLock.Release();
        }
    }

    /// <summary>The addresses, on the front's primary network, of the replicas it forwards to; sorted, so the rules are deterministic.</summary>
    public IReadOnlyList<string> Backends(ServiceSpec service, ObservedState observed)
    {
        var primaryNetwork = service.Container.Networks[0].EngineName;
        return [.. observed.Containers
            .Where(container => container.Stack == service.Stack && container.Service == service.Name)
            .Where(container => container.State == ContainerRunState.Running && container.Health is ContainerHealth.Healthy or ContainerHealth.None)
            .Where(container => !retired.ContainsKey(container.Id))
            .Where(container => container.ReplacementOf is null || container.Name == container.ReplacementOf || admitted.ContainsKey(container.Id))
            .Where(container => container.Replica >= 1 && container.Replica <= service.Replicas)
            .Select(container => container.Addresses.GetValueOrDefault(primaryNetwork))
            .OfType<string>()
            .Order(StringComparer.Ordinal)];
    }
}
