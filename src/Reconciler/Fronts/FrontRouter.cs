using System.Collections.Concurrent;
using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;

namespace Berth.Reconciler.Fronts;

/// <summary>
/// Decides which replicas a service's front forwards to, and installs that. One per pass.
/// </summary>
/// <remarks>
/// A replica is forwarded to when it runs, is healthy (or has no health check), and is either a
/// settled replica (its canonical name) or a replacement this pass proved (<see cref="Admit"/>).
/// A replica on its way out is taken out first (<see cref="Retire"/>), so the front never sends a new
/// connection to a container that is going away. The front's own networks decide which address of a
/// replica it forwards to, not the spec: during a change of networks the spec and what runs differ.
/// Every routing reads the engine again and is serialized per service, so concurrent replacements of
/// one service (parallelism) never undo each other's changes.
/// </remarks>
/// <param name="servicesWithFront">
/// "stack/service" of every service that has or gets a front in this pass: routing any other service
/// does nothing and costs nothing (no look at the engine).
/// </param>
public sealed class FrontRouter(IContainerEngine engine, IFrontRules rules, string hostIdentity, IReadOnlySet<string> servicesWithFront)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> serviceLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> admitted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> retired = new(StringComparer.Ordinal);

    /// <summary>A replacement that passed its health gate (by id): forwarded to from the next routing on, under its temporary name.</summary>
    public void Admit(string containerId) => admitted[containerId] = true;

    /// <summary>A container about to stop (by id): never forwarded to again in this pass.</summary>
    public void Retire(string containerId) => retired[containerId] = true;

    /// <summary>Undoes <see cref="Retire"/> (a stop-first replacement failed and the old container runs again).</summary>
    public void Reinstate(string containerId) => retired.TryRemove(containerId, out _);

    public bool HasFront(string stack, string service) => servicesWithFront.Contains($"{stack}/{service}");

    /// <summary>
    /// Points the service's front, if it has one, at its proven replicas as the engine shows them now
    /// (a look at that service's containers only, not the whole host).
    /// </summary>
    public Task RouteAsync(string stack, string service, CancellationToken cancellationToken) =>
        RouteAsync(stack, service, () => engine.ObserveServiceAsync(hostIdentity, stack, service, cancellationToken), cancellationToken);

    /// <summary>Points the service's front, if it has one, at the proven replicas in <paramref name="observed"/> (the end of a pass).</summary>
    public Task RouteAsync(string stack, string service, ObservedState observed, CancellationToken cancellationToken) =>
        RouteAsync(stack, service, () => Task.FromResult(observed), cancellationToken);

    /// <remarks>Observed under the service's lock: a concurrent replacement's change is always seen.</remarks>
    private async Task RouteAsync(string stack, string service, Func<Task<ObservedState>> observe, CancellationToken cancellationToken)
    {
        if (!HasFront(stack, service))
        {
            return;
        }

        var serviceLock = serviceLocks.GetOrAdd($"{stack}/{service}", _ => new SemaphoreSlim(1, 1));
        await serviceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var observed = await observe().ConfigureAwait(false);
            var front = observed.Fronts.FirstOrDefault(candidate => candidate.Stack == stack && candidate.Service == service && candidate.State == ContainerRunState.Running && candidate.Pid > 0);
            if (front is not null)
            {
                await rules.ApplyAsync(front.Pid, FrontRules.NatTable(Backends(front, observed)), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            serviceLock.Release();
        }
    }

    /// <summary>
    /// The address of each replica the front forwards to, on the first network (by name) that both
    /// share; sorted, so the rules are deterministic.
    /// </summary>
    public IReadOnlyList<string> Backends(ObservedFront front, ObservedState observed) =>
        [.. observed.Containers
            .Where(container => container.Stack == front.Stack && container.Service == front.Service)
            .Where(container => container.IsSettled)
            .Where(container => !retired.ContainsKey(container.Id))
            .Where(container => container.ReplacementOf is null || container.Name == container.ReplacementOf || admitted.ContainsKey(container.Id))
            .Select(container => front.Networks.Where(container.Addresses.ContainsKey).Select(network => container.Addresses[network]).FirstOrDefault())
            .OfType<string>()
            .Order(StringComparer.Ordinal)];

    /// <summary>Every service that has a front now or gets one in this pass.</summary>
    public static ImmutableHashSet<string> ServicesWithFront(ObservedState observed, IEnumerable<Spec.Model.ServiceSpec> desiredServices) =>
        observed.Fronts.Select(front => front.QualifiedService)
            .Concat(desiredServices.Where(service => service.Front).Select(service => service.QualifiedName))
            .ToImmutableHashSet(StringComparer.Ordinal);
}
