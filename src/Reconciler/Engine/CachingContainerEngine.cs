using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Engine;

/// <summary>
/// The daemon's engine as the reconciler sees it: <see cref="ObserveAsync"/> answers from the informer's
/// <see cref="ObservationCache"/> while the engine's events say nothing changed, and lists the engine
/// otherwise; every other call goes through, and every call that changes the engine makes the cache stale
/// (the next pass lists what berth's own work left, whatever events it raised).
/// </summary>
/// <remarks>
/// The CLI's `plan` and `apply` do not use it: they observe once per run, and a run is no idle loop.
/// </remarks>
/// <param name="observed">Told where each observation came from (the metric <c>berth_observe_total</c>).</param>
public sealed class CachingContainerEngine(IContainerEngine inner, ObservationCache cache, Action<ObserveSource>? observed = null) : IContainerEngine, IEngineOutageWitness
{
    /// <summary>The resilience layer's outage count, passed through: a health gate asks for it (issue #20).</summary>
    public long OutagesSeen => (inner as IEngineOutageWitness)?.OutagesSeen ?? 0;

    public async Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken)
    {
        var references = imageReferences.ToList();
        var key = ObservationCache.Key(hostIdentity, references);
        if (cache.TryGet(key, out var snapshot))
        {
            observed?.Invoke(ObserveSource.Cache);
            return snapshot;
        }

        // The ticket is taken before the list: an event that arrives while the list runs makes its result stale.
        var ticket = cache.BeginList();
        var listed = await inner.ObserveAsync(hostIdentity, references, cancellationToken).ConfigureAwait(false);
        cache.Complete(ticket, key, listed);
        observed?.Invoke(ObserveSource.Engine);
        return listed;
    }

    // A rollout's front routing reads one service's containers as they are at that moment: never cached.
    public Task<ObservedState> ObserveServiceAsync(string hostIdentity, string stack, string service, CancellationToken cancellationToken) =>
        inner.ObserveServiceAsync(hostIdentity, stack, service, cancellationToken);

    public Task PullImageAsync(string imageReference, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.PullImageAsync(imageReference, cancellationToken));

    public Task PullImageAsync(string imageReference, string? platform, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.PullImageAsync(imageReference, platform, cancellationToken));

    public Task PullImageAsync(string imageReference, string? platform, IProgress<Images.PullMessage> progress, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.PullImageAsync(imageReference, platform, progress, cancellationToken));

    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.RemoveImageAsync(imageId, cancellationToken));

    public Task<string?> ImagePlatformAsync(string imageReference, CancellationToken cancellationToken) =>
        inner.ImagePlatformAsync(imageReference, cancellationToken);

    public Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.CreateNetworkAsync(network, stack, owner, cancellationToken));

    public Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.RemoveNetworkAsync(networkName, cancellationToken));

    public Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.CreateVolumeAsync(volume, stack, owner, cancellationToken));

    public Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.RemoveVolumeAsync(volumeName, cancellationToken));

    public Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.CreateContainerAsync(request, cancellationToken));

    public Task<string> CreateFrontAsync(Fronts.FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.CreateFrontAsync(front, owner, cancellationToken));

    // Files on a tmpfs, not the engine: nothing an observation shows.
    public Task EnsureServiceFilesAsync(ServiceSpec service, ResourceOwner owner, CancellationToken cancellationToken) =>
        inner.EnsureServiceFilesAsync(service, owner, cancellationToken);

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.StartContainerAsync(containerId, cancellationToken));

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.StopContainerAsync(containerId, gracePeriod, cancellationToken));

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.RemoveContainerAsync(containerId, cancellationToken));

    public Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.RenameContainerAsync(containerId, newName, cancellationToken));

    public Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.ConnectNetworkAsync(containerId, networkName, aliases, cancellationToken));

    public Task ConnectReplicaAsync(string containerId, ServiceSpec service, ServiceNetwork network, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.ConnectReplicaAsync(containerId, service, network, cancellationToken));

    public Task UpdateContainerAsync(string containerId, ContainerResources resources, CancellationToken cancellationToken)
    {
        cache.ExpectOwnUpdate(containerId);
        return ChangingAsync(() => inner.UpdateContainerAsync(containerId, resources, cancellationToken));
    }

    public Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.DisconnectNetworkAsync(containerId, networkName, cancellationToken));

    public Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken) =>
        inner.InspectContainerAsync(containerId, cancellationToken);

    public Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken) =>
        inner.TailLogsAsync(containerId, lines, cancellationToken);

    // A job's container exits while berth waits: the exit itself changes the list.
    public Task<ContainerExit> WaitForExitAsync(string containerId, CancellationToken cancellationToken) =>
        ChangingAsync(() => inner.WaitForExitAsync(containerId, cancellationToken));

    /// <summary>
    /// Runs a call that changes the engine and makes the cache stale after it, also when it failed or was
    /// cancelled (a call whose answer was lost may still have happened).
    /// </summary>
    private async Task ChangingAsync(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        finally
        {
            cache.Invalidate();
        }
    }

    private async Task<T> ChangingAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            cache.Invalidate();
        }
    }
}
