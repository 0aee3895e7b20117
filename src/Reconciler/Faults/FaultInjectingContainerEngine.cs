using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Faults;

/// <summary>
/// Passes every engine call that changes the host through <see cref="FaultInjection"/>; reads
/// (observe, inspect, logs) pass straight through. Only in the chain when <c>BERTH_FAULT_INJECT</c> is
/// set (<see cref="Wrap"/>), innermost, so each call that reaches the engine counts once (a retry of
/// the resilience layer is another operation, as it is another request).
/// </summary>
public sealed class FaultInjectingContainerEngine(IContainerEngine inner, FaultInjection faults) : IContainerEngine
{
    /// <summary><paramref name="engine"/> itself when the switch is off (the normal case): no wrapper, no cost.</summary>
    public static IContainerEngine Wrap(IContainerEngine engine) =>
        FaultInjection.Active is { } faults ? new FaultInjectingContainerEngine(engine, faults) : engine;

    public Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken) =>
        inner.ObserveAsync(hostIdentity, imageReferences, cancellationToken);

    public Task<ObservedState> ObserveServiceAsync(string hostIdentity, string stack, string service, CancellationToken cancellationToken) =>
        inner.ObserveServiceAsync(hostIdentity, stack, service, cancellationToken);

    public Task PullImageAsync(string imageReference, CancellationToken cancellationToken) =>
        faults.AroundAsync("pull", imageReference, () => inner.PullImageAsync(imageReference, cancellationToken));

    public Task PullImageAsync(string imageReference, string? platform, CancellationToken cancellationToken) =>
        faults.AroundAsync("pull", imageReference, () => inner.PullImageAsync(imageReference, platform, cancellationToken));

    public Task PullImageAsync(string imageReference, string? platform, IProgress<Images.PullMessage> progress, CancellationToken cancellationToken) =>
        faults.AroundAsync("pull", imageReference, () => inner.PullImageAsync(imageReference, platform, progress, cancellationToken));

    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken) =>
        faults.AroundAsync("image-remove", Short(imageId), () => inner.RemoveImageAsync(imageId, cancellationToken));

    public Task<string?> ImagePlatformAsync(string imageReference, CancellationToken cancellationToken) =>
        inner.ImagePlatformAsync(imageReference, cancellationToken);

    public Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        faults.AroundAsync("network-create", network.EngineName, () => inner.CreateNetworkAsync(network, stack, owner, cancellationToken));

    public Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken) =>
        faults.AroundAsync("network-remove", networkName, () => inner.RemoveNetworkAsync(networkName, cancellationToken));

    public Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        faults.AroundAsync("volume-create", volume.EngineName, () => inner.CreateVolumeAsync(volume, stack, owner, cancellationToken));

    public Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken) =>
        faults.AroundAsync("volume-remove", volumeName, () => inner.RemoveVolumeAsync(volumeName, cancellationToken));

    public Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken) =>
        faults.AroundAsync("container-create", request.Name, () => inner.CreateContainerAsync(request, cancellationToken));

    public Task<string> CreateFrontAsync(Fronts.FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken) =>
        faults.AroundAsync("front-create", front.Name, () => inner.CreateFrontAsync(front, owner, cancellationToken));

    // Not counted: it runs before every restart and writes nothing for a service without secrets or
    // configs, and its files are rewritten whenever missing (a reboot empties their tmpfs anyway).
    public Task EnsureServiceFilesAsync(ServiceSpec service, ResourceOwner owner, CancellationToken cancellationToken) =>
        inner.EnsureServiceFilesAsync(service, owner, cancellationToken);

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        faults.AroundAsync("container-start", Short(containerId), () => inner.StartContainerAsync(containerId, cancellationToken));

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        faults.AroundAsync("container-stop", Short(containerId), () => inner.StopContainerAsync(containerId, gracePeriod, cancellationToken));

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        faults.AroundAsync("container-remove", Short(containerId), () => inner.RemoveContainerAsync(containerId, cancellationToken));

    public Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken) =>
        faults.AroundAsync("container-rename", $"{Short(containerId)}->{newName}", () => inner.RenameContainerAsync(containerId, newName, cancellationToken));

    public Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken) =>
        faults.AroundAsync("network-connect", $"{Short(containerId)}->{networkName}", () => inner.ConnectNetworkAsync(containerId, networkName, aliases, cancellationToken));

    public Task ConnectReplicaAsync(string containerId, ServiceSpec service, ServiceNetwork network, CancellationToken cancellationToken) =>
        faults.AroundAsync("network-connect", $"{Short(containerId)}->{network.EngineName}", () => inner.ConnectReplicaAsync(containerId, service, network, cancellationToken));

    public Task UpdateContainerAsync(string containerId, ContainerResources resources, CancellationToken cancellationToken) =>
        faults.AroundAsync("container-update", Short(containerId), () => inner.UpdateContainerAsync(containerId, resources, cancellationToken));

    public Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken) =>
        faults.AroundAsync("network-disconnect", $"{Short(containerId)}->{networkName}", () => inner.DisconnectNetworkAsync(containerId, networkName, cancellationToken));

    public Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken) =>
        inner.InspectContainerAsync(containerId, cancellationToken);

    public Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken) =>
        inner.TailLogsAsync(containerId, lines, cancellationToken);

    /// <summary>Ids differ between runs; the trace is read by people too, and 12 characters are what `docker ps` shows.</summary>
    // Every member, the interface's defaults too: a default left to the interface would not reach the engine.
    public Task<ContainerExit> WaitForExitAsync(string containerId, CancellationToken cancellationToken) =>
        inner.WaitForExitAsync(containerId, cancellationToken);

    private static string Short(string containerId) => containerId.Length > 12 ? containerId[..12] : containerId;
}
