using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.State;

/// <summary>
/// Secret-bearing values of the applied specs in berth's state: written as keyed hashes
/// (<see cref="StateKey"/>), put back from the engine when a rollback needs them.
/// </summary>
/// <remarks>
/// Which values: every environment value. The spec does not say which of them came from a host env file
/// or an interpolated host-local variable, and an environment is where secrets go, so all are hashed;
/// the names stay (a plan says which variables changed by field hashes, not by these values).
/// What needs the values back: only a rollback, which re-creates the last applied spec
/// (<see cref="AppliedService.RollbackSpec"/>). They are taken from a container that still runs that spec:
/// its inspect holds the environment it was created with (<see cref="Engine.ContainerSnapshot.Environment"/>;
/// <see cref="ContainersToRestoreFrom"/> says which to inspect), and the restored spec must hash to the
/// applied config hash, so a value is never guessed. When no such
/// container exists (removed by hand, or drifted), there is nothing known to go back to, as when the state
/// held no spec. The last applied files re-read with the host's env would be another source, but the host's
/// env files may have changed since: the containers are what actually ran.
/// </remarks>
public static class StoredSecrets
{
    /// <summary>The state as it is written: every environment value of every applied spec hashed.</summary>
    public static AppliedState ForStorage(AppliedState state, StateKey key)
    {
        if (!state.Services.Values.Any(service => service.Spec is { } spec && spec.Container.Environment.Values.Any(value => !StateKey.IsHash(value))))
        {
            return state;
        }

        var services = state.Services.ToBuilder();
        foreach (var (name, service) in state.Services)
        {
            if (service.Spec is { } spec)
            {
                var hashed = spec.Container.Environment.ToImmutableSortedDictionary(
                    variable => variable.Key,
                    variable => StateKey.IsHash(variable.Value) ? variable.Value : key.Hash(variable.Value),
                    StringComparer.Ordinal);
                services[name] = service with { Spec = spec with { Container = spec.Container with { Environment = hashed } } };
            }
        }

        return state with { Services = services.ToImmutable() };
    }

    /// <summary>Whether a stored spec still holds hashes instead of some values (then it cannot be re-created).</summary>
    public static bool HoldsHashes(ServiceSpec spec) => spec.Container.Environment.Values.Any(StateKey.IsHash);

    /// <summary>Whether any applied spec holds a plain value (a state file written before values were hashed).</summary>
    public static bool HoldsPlainValues(AppliedState state) =>
        state.Services.Values.Any(service => service.Spec is { } spec && spec.Container.Environment.Values.Any(value => !StateKey.IsHash(value)));

    /// <summary>
    /// The containers whose environment a pass needs (one per service, key "stack/service"): of each
    /// service whose stored spec holds hashes and whose desired config differs from the applied one (only a
    /// change can need a rollback), one that runs the applied config. A pass without changes inspects nothing.
    /// </summary>
    public static IReadOnlyDictionary<string, ObservedContainer> ContainersToRestoreFrom(AppliedState state, Spec.Model.DesiredState desired, ObservedState observed)
    {
        var containers = new Dictionary<string, ObservedContainer>(StringComparer.Ordinal);
        foreach (var service in desired.AllServices)
        {
            if (state.Services.TryGetValue(service.QualifiedName, out var applied) && applied.Spec is { } spec && HoldsHashes(spec)
                && applied.ConfigHash != service.ConfigHash
                && observed.Containers.FirstOrDefault(container => container.QualifiedService == service.QualifiedName && container.ConfigHash == applied.ConfigHash) is { } container)
            {
                containers[service.QualifiedName] = container;
            }
        }

        return containers;
    }

    /// <summary>
    /// The state with each hashed environment value of a service put back from the environment of a
    /// container that ran its applied config (key "stack/service"); a spec that cannot be restored whole,
    /// to the applied config hash, keeps its hashes.
    /// </summary>
    public static AppliedState RestoreFrom(AppliedState state, IReadOnlyDictionary<string, ContainerEnvironment> environments)
    {
        var services = state.Services;
        foreach (var (name, environment) in environments)
        {
            if (state.Services.TryGetValue(name, out var service) && service.Spec is { } spec && HoldsHashes(spec)
                && Restored(spec, environment) is { } restored && restored.ConfigHash == service.ConfigHash)
            {
                services = services.SetItem(name, service with { Spec = restored });
            }
        }

        return ReferenceEquals(services, state.Services) ? state : state with { Services = services };
    }

    private static ServiceSpec? Restored(ServiceSpec spec, ContainerEnvironment environment)
    {
        var values = spec.Container.Environment.ToBuilder();
        foreach (var (name, value) in spec.Container.Environment)
        {
            if (!StateKey.IsHash(value))
            {
                continue;
            }

            if (!environment.TryGetValue(name, out var actual))
            {
                return null;
            }

            values[name] = actual;
        }

        return spec with { Container = spec.Container with { Environment = values.ToImmutable() } };
    }
}
