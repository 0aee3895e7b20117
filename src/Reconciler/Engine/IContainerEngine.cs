using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Engine;

/// <summary>
/// The narrow set of engine operations berth needs (testcontainers' habit). This folder is the only
/// one that touches Docker.DotNet; everything else sees these records. Every call takes a token.
/// </summary>
public interface IContainerEngine
{
    /// <summary>One snapshot: this identity's containers, networks, volumes; names of everything else; image ids.</summary>
    Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken);

    /// <summary>
    /// The containers and front of one service only (no networks, volumes, images or foreign names):
    /// what a front's routing needs during a rollout, at the cost of that service's containers instead
    /// of the whole host's. The default is the whole observation, filtered.
    /// </summary>
    async Task<ObservedState> ObserveServiceAsync(string hostIdentity, string stack, string service, CancellationToken cancellationToken)
    {
        var observed = await ObserveAsync(hostIdentity, [], cancellationToken).ConfigureAwait(false);
        return observed with
        {
            Containers = [.. observed.Containers.Where(container => container.Stack == stack && container.Service == service)],
            Fronts = [.. observed.Fronts.Where(front => front.Stack == stack && front.Service == service)],
        };
    }

    Task PullImageAsync(string imageReference, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a local image by id, never forced: the engine refuses (an <see cref="EngineException"/>)
    /// while a container uses it or while it carries tags of more than one repository. Image garbage
    /// collection only (<see cref="Images.ImageGarbageCollector"/>).
    /// </summary>
    Task RemoveImageAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>Pulls the image for one platform (`os/arch[/variant]`, Compose's `platform`); null: the engine's own.</summary>
    Task PullImageAsync(string imageReference, string? platform, CancellationToken cancellationToken) =>
        platform is null ? PullImageAsync(imageReference, cancellationToken) : throw new NotSupportedException($"{GetType().Name} cannot pull for a platform");

    /// <summary>
    /// Pulls as <see cref="PullImageAsync(string, string?, CancellationToken)"/>, reporting the engine's
    /// messages (per layer: status, bytes) to <paramref name="progress"/> as they are read, before the call
    /// returns. By default (engines without a stream) nothing is reported.
    /// </summary>
    Task PullImageAsync(string imageReference, string? platform, IProgress<Images.PullMessage> progress, CancellationToken cancellationToken) =>
        PullImageAsync(imageReference, platform, cancellationToken);

    /// <summary>The platform (`os/arch[/variant]`) of a local image; null when it is not here or the engine cannot say.</summary>
    Task<string?> ImagePlatformAsync(string imageReference, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken);

    Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken);

    Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken);

    Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken);

    /// <summary>Creates (does not start) a container; returns its id.</summary>
    Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Creates (does not start) a service's front (<see cref="Fronts.FrontDefinition"/>) as
    /// <see cref="Fronts.FrontContainer"/> describes it, on its networks WITHOUT the service's aliases,
    /// with the front image <see cref="Fronts.FrontImage.EnsureAsync"/> provides; returns its id.
    /// </summary>
    Task<string> CreateFrontAsync(Fronts.FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken);

    Task StartContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the secret and config files an existing container of <paramref name="service"/> binds, when
    /// they are missing (a reboot empties the tmpfs they live on), before it is started again. Their path
    /// follows from the service's config hash, so the container finds them where it was created to. Does
    /// nothing for a service without secrets or configs, and by default (engines without such files).
    /// </summary>
    Task EnsureServiceFilesAsync(ServiceSpec service, ResourceOwner owner, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops with the container's own stop signal and the given grace period.</summary>
    Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken);

    Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken);

    Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken);

    Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken);

    Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken);

    /// <summary>
    /// Connects an existing replica to one of its service's networks as its create did: the service's
    /// names (none behind a front: the front holds them) and its fixed addresses. What repairs a
    /// `docker network disconnect` by hand, in place: the container keeps running. The default (engines
    /// without fixed addresses) connects with the names only.
    /// </summary>
    Task ConnectReplicaAsync(string containerId, ServiceSpec service, ServiceNetwork network, CancellationToken cancellationToken) =>
        ConnectNetworkAsync(containerId, network.EngineName, [.. CreateParametersMapper.Aliases(service, network, attachAliases: true)], cancellationToken);

    Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>
    /// Sets a running or stopped container's limits back to <paramref name="resources"/> in place
    /// (`docker update`): the fields that are not 0; 0 leaves a field as it is (the engine's own rule).
    /// </summary>
    Task UpdateContainerAsync(string containerId, ContainerResources resources, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot update a container");

    Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until the container is no longer running (the engine's wait endpoint: one request that
    /// returns at the exit, no polling; a restart policy that restarts it keeps it waiting) and returns
    /// how it exited. What a one-shot job's run waits on.
    /// </summary>
    Task<ContainerExit> WaitForExitAsync(string containerId, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot wait for a container's exit");
}

/// <summary>How a container exited: its exit code, and when (null when the engine did not say).</summary>
public sealed record ContainerExit(int ExitCode, DateTimeOffset? FinishedAt);

/// <summary>Who owns a resource: stamped as labels on everything berth creates.</summary>
public sealed record ResourceOwner(string HostIdentity, string? Revision);

/// <summary>Everything needed to create one replica's container.</summary>
/// <param name="Name">Engine name of the new container.</param>
/// <param name="ReplacementOf">For an unproven start-first replacement: the canonical name it will take over.</param>
/// <param name="AttachAliases">
/// False for a start-first replacement: it joins its networks without the service aliases, so DNS does
/// not send it traffic before it passed its health gate (Docker's DNS does not look at health).
/// </param>
public sealed record ContainerCreateRequest(
    ServiceSpec Service,
    int Replica,
    string Name,
    ResourceOwner Owner,
    string? ReplacementOf,
    bool AttachAliases);

/// <summary>A point-in-time inspect of one container, enough for health decisions and evidence.</summary>
public sealed record ContainerSnapshot(
    string Id,
    string Name,
    ContainerRunState State,
    ContainerHealth Health,
    int ExitCode,
    int RestartCount,
    string? LastHealthOutput,
    int FailingStreak,
    DateTimeOffset? StartedAt,
    ImmutableArray<string> Networks)
{
    /// <summary>
    /// Container paths where it mounts an anonymous volume (one the engine named itself): a
    /// replacement takes these over, so the two must never run at once (see ContainerReplacer).
    /// </summary>
    public ImmutableArray<string> AnonymousVolumePaths { get; init; } = [];

    /// <summary>The container's IPv4 address on each network it is attached to (while it runs).</summary>
    public ImmutableSortedDictionary<string, string> Addresses { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The DNS aliases of its endpoint on each network it is attached to.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<string>> Aliases { get; init; } = ImmutableSortedDictionary<string, ImmutableArray<string>>.Empty;

    /// <summary>Its limits and restart policy (HostConfig): what a drift check compares with the spec.</summary>
    public ContainerResources? Resources { get; init; }

    /// <summary>Its main process on the host, 0 when not running (a front's rules live in that process's network namespace).</summary>
    public int Pid { get; init; }

    /// <summary>`Config.Env`; prints as "(hidden)" (it holds secret values).</summary>
    public ContainerEnvironment Environment { get; init; } = ContainerEnvironment.Empty;

    /// <summary>The string fields of its create config a rollback may restore (<see cref="State.StoredSecrets"/>); prints as "(hidden)".</summary>
    public ContainerConfigValues ConfigValues { get; init; } = ContainerConfigValues.Empty;
}
