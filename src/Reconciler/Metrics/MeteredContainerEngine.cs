using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Metrics;

/// <summary>
/// Counts failed engine calls per operation (<c>berth_docker_api_errors_total</c>) around any
/// engine, without touching the engine or the code that calls it: the daemon wraps its engine once
/// (<c>new HostReconciler(new MeteredContainerEngine(engine, metrics), ...)</c>). Exceptions pass through unchanged.
/// </summary>
public sealed class MeteredContainerEngine(IContainerEngine inner, BerthMetrics metrics) : IContainerEngine
{
    public Task<ObservedState> ObserveServiceAsync(string hostIdentity, string stack, string service, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.Observe, () => inner.ObserveServiceAsync(hostIdentity, stack, service, cancellationToken), cancellationToken);

    public Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.Observe, () => inner.ObserveAsync(hostIdentity, imageReferences, cancellationToken), cancellationToken);

    public Task PullImageAsync(string imageReference, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.PullImage, () => inner.PullImageAsync(imageReference, cancellationToken), cancellationToken);

    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.RemoveImage, () => inner.RemoveImageAsync(imageId, cancellationToken), cancellationToken);

    public Task PullImageAsync(string imageReference, string? platform, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.PullImage, () => inner.PullImageAsync(imageReference, platform, cancellationToken), cancellationToken);

    public Task PullImageAsync(string imageReference, string? platform, IProgress<Images.PullMessage> progress, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.PullImage, () => inner.PullImageAsync(imageReference, platform, progress, cancellationToken), cancellationToken);

    public Task<string?> ImagePlatformAsync(string imageReference, CancellationToken cancellationToken) =>
        inner.ImagePlatformAsync(imageReference, cancellationToken);

    public Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.CreateNetwork, () => inner.CreateNetworkAsync(network, stack, owner, cancellationToken), cancellationToken);

    public Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.RemoveNetwork, () => inner.RemoveNetworkAsync(networkName, cancellationToken), cancellationToken);

    public Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.CreateVolume, () => inner.CreateVolumeAsync(volume, stack, owner, cancellationToken), cancellationToken);

    public Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.RemoveVolume, () => inner.RemoveVolumeAsync(volumeName, cancellationToken), cancellationToken);

    public Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.CreateContainer, () => inner.CreateContainerAsync(request, cancellationToken), cancellationToken);

    public Task<string> CreateFrontAsync(Fronts.FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.CreateContainer, () => inner.CreateFrontAsync(front, owner, cancellationToken), cancellationToken);

    public Task EnsureServiceFilesAsync(Spec.Model.ServiceSpec service, ResourceOwner owner, CancellationToken cancellationToken) =>
        inner.EnsureServiceFilesAsync(service, owner, cancellationToken);

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.StartContainer, () => inner.StartContainerAsync(containerId, cancellationToken), cancellationToken);

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.StopContainer, () => inner.StopContainerAsync(containerId, gracePeriod, cancellationToken), cancellationToken);

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.RemoveContainer, () => inner.RemoveContainerAsync(containerId, cancellationToken), cancellationToken);

    public Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.RenameContainer, () => inner.RenameContainerAsync(containerId, newName, cancellationToken), cancellationToken);

    public Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.ConnectNetwork, () => inner.ConnectNetworkAsync(containerId, networkName, aliases, cancellationToken), cancellationToken);

    public Task ConnectReplicaAsync(string containerId, ServiceSpec service, ServiceNetwork network, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.ConnectNetwork, () => inner.ConnectReplicaAsync(containerId, service, network, cancellationToken), cancellationToken);

    public Task UpdateContainerAsync(string containerId, ContainerResources resources, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.UpdateContainer, () => inner.UpdateContainerAsync(containerId, resources, cancellationToken), cancellationToken);

    public Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.DisconnectNetwork, () => inner.DisconnectNetworkAsync(containerId, networkName, cancellationToken), cancellationToken);

    public Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.InspectContainer, () => inner.InspectContainerAsync(containerId, cancellationToken), cancellationToken);

    public Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken) =>
        MeterAsync(EngineOperation.TailLogs, () => inner.TailLogsAsync(containerId, lines, cancellationToken), cancellationToken);

    // Not metered: its duration is the job's run time, not the engine's answer time (which the call histograms are about).
    public Task<ContainerExit> WaitForExitAsync(string containerId, CancellationToken cancellationToken) =>
        inner.WaitForExitAsync(containerId, cancellationToken);

    private async Task MeterAsync(EngineOperation operation, Func<Task> call, CancellationToken cancellationToken) =>
        await MeterAsync(operation, async () => { await call().ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);

    private async Task<T> MeterAsync<T>(EngineOperation operation, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception exception) when (IsEngineFailure(operation, exception, cancellationToken))
        {
            metrics.RecordDockerApiError(operation);
            throw;
        }
    }

    /// <summary>
    /// An error answer, an unreachable engine or a timeout (each an <see cref="EngineException"/>). Not
    /// counted: the caller cancelling; "no such container" on inspect, which is how berth asks whether a
    /// container still exists; and a pull the engine reported failed in its progress stream, which is the
    /// registry's answer relayed (the pull step's failure says so), not a failed engine call.
    /// </summary>
    private static bool IsEngineFailure(EngineOperation operation, Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        EngineNotFoundException when operation == EngineOperation.InspectContainer => false,
        ImagePullException => false,
        EngineException or OperationCanceledException => true,
        _ => false,
    };
}
