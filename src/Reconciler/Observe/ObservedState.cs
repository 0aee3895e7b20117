using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Observe;

// One snapshot of the engine, taken once per pass (compose's observed_state). Only resources that
// carry berth's labels for this host identity are "managed"; of everything else berth keeps only the
// names, to report a collision instead of touching a resource it does not own.

public enum ContainerRunState
{
    Created,
    Running,
    Restarting,
    Paused,
    Exited,
    Dead,
    Removing,
}

/// <summary>Docker's health status; <see cref="None"/> when the container has no health check.</summary>
public enum ContainerHealth
{
    None,
    Starting,
    Healthy,
    Unhealthy,
}

/// <summary>A container berth owns, as listed by the engine.</summary>
/// <param name="ReplacementOf">Set on an unproven start-first replacement: the name of the container it replaces.</param>
public sealed record ObservedContainer(
    string Id,
    string Name,
    string Stack,
    string Service,
    int Replica,
    string ConfigHash,
    string? Revision,
    string ImageId,
    ContainerRunState State,
    ContainerHealth Health,
    int? ExitCode,
    string? ReplacementOf)
{
    public string QualifiedService => $"{Stack}/{Service}";

    /// <summary>
    /// A replica of its service: not a start-first replacement still under its temporary name (unproven
    /// until it takes the canonical name, which a finished replacement carries while keeping its label).
    /// </summary>
    public bool IsReplica => ReplacementOf is null || Name == ReplacementOf;

    /// <summary>
    /// Settled: it runs, and its health check passes or it has none. The one definition of a container
    /// that can serve: what the per-service health counts (status and metrics), what a front forwards
    /// to, and what proves a replacement that an interrupted rollout left behind.
    /// </summary>
    public bool IsSettled => State == ContainerRunState.Running && Health is ContainerHealth.Healthy or ContainerHealth.None;

    /// <summary>Its IPv4 address per network while it runs (what a front forwards to).</summary>
    public ImmutableSortedDictionary<string, string> Addresses { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>
    /// The networks it is attached to, running or not (the list's <c>NetworkSettings.Networks</c>): what
    /// shows a `docker network disconnect` by hand. Null when not observed (planner tests that do not
    /// care): the planner then plans no reconnect.
    /// </summary>
    public ImmutableSortedSet<string>? Networks { get; init; }

    /// <summary>
    /// Its limits and restart policy, from an inspect: what `docker update` changes and the list does not
    /// show. Null when not inspected (a pass without a drift check: the planner then checks nothing of it).
    /// </summary>
    public ContainerResources? Resources { get; init; }

    /// <summary>
    /// Where it mounts anonymous volumes (the engine named them; from the image's VOLUME or a Compose
    /// volume without a source), sorted. A replacement takes them over, so the planner replaces such a
    /// replica stop-first (<see cref="Planning.RolloutOrder.ForReplacement"/>).
    /// </summary>
    public ImmutableArray<string> AnonymousVolumePaths { get; init; } = [];
}

/// <summary>A service's front (x-berth.front), as listed by the engine; never counted as a replica.</summary>
/// <param name="ConfigHash">The <see cref="Fronts.FrontDefinition.Hash"/> it was created with.</param>
/// <param name="Pid">Its process on the host while it runs, else 0.</param>
/// <param name="Networks">The networks it is attached to, sorted: the replicas' addresses it forwards to are on these.</param>
/// <param name="Aliased">It answers to the service's name on every network (false after a create a crash interrupted).</param>
public sealed record ObservedFront(string Id, string Name, string Stack, string Service, string ConfigHash, ContainerRunState State, int Pid, ImmutableArray<string> Networks, bool Aliased)
{
    public string QualifiedService => $"{Stack}/{Service}";
}

/// <param name="Settings">What the network was created with, as the engine reports it; null when not observed (planner tests that do not care).</param>
public sealed record ObservedNetwork(string Id, string Name, string Stack, string Key, ObservedNetworkSettings? Settings = null);

/// <param name="Settings">What the volume was created with, as the engine reports it; null when not observed.</param>
public sealed record ObservedVolume(string Name, string Stack, string Key, ObservedVolumeSettings? Settings = null);

/// <summary>
/// A network's own configuration. The engine cannot change it in place: a network must be removed and
/// created again for a new driver, driver option or label to take effect.
/// </summary>
/// <param name="Labels">The user's labels only: berth's own <c>io.berth.*</c> labels are left out.</param>
public sealed record ObservedNetworkSettings(
    string Driver,
    ImmutableSortedDictionary<string, string> DriverOptions,
    ImmutableSortedDictionary<string, string> Labels,
    bool Internal)
{
    public bool EnableIpv6 { get; init; }

    /// <summary>The engine's IPAM, with the pools it chose itself when the network declared none; null when not reported.</summary>
    public NetworkIpam? Ipam { get; init; }
}

/// <summary>A volume's own configuration; like a network's, fixed when it was created.</summary>
/// <param name="Labels">The user's labels only: berth's own <c>io.berth.*</c> labels are left out.</param>
public sealed record ObservedVolumeSettings(
    string Driver,
    ImmutableSortedDictionary<string, string> DriverOptions,
    ImmutableSortedDictionary<string, string> Labels);

/// <param name="ForeignContainerNames">Names of containers berth does not own (other tools, other host identities).</param>
/// <param name="ImageIds">
/// Local image id per desired image reference, as the engine resolves it (a tag, or a digest when the
/// reference is pinned); absent when the image is not present locally.
/// </param>
public sealed record ObservedState(
    ImmutableArray<ObservedContainer> Containers,
    ImmutableArray<ObservedNetwork> Networks,
    ImmutableArray<ObservedVolume> Volumes,
    ImmutableHashSet<string> ForeignContainerNames,
    ImmutableHashSet<string> ForeignNetworkNames,
    ImmutableHashSet<string> ForeignVolumeNames,
    ImmutableDictionary<string, string> ImageIds)
{
    public static readonly ObservedState Empty = new([], [], [], [], [], [], ImmutableDictionary<string, string>.Empty);

    /// <summary>
    /// Every local image, from one image list (not one inspect per reference: issue #16). What
    /// <see cref="ImageIds"/> is resolved from, what status reads a running image's digest from, and
    /// what image garbage collection chooses among. Empty when not observed (a one-service observation).
    /// </summary>
    public ImmutableArray<Images.ObservedImage> Images { get; init; } = [];

    /// <summary>
    /// The image ids of every container on the engine, berth's or not, running or stopped: an image one
    /// of them uses is never removed by image garbage collection (the engine would refuse it anyway).
    /// </summary>
    public ImmutableHashSet<string> ImagesInUse { get; init; } = [];

    /// <summary>
    /// Image reference -> the local image's RepoDigests ("name@sha256:..."), from the same image list that gave
    /// <see cref="ImageIds"/>: the digests it was pulled or pushed as, what a registry check compares with.
    /// </summary>
    public ImmutableDictionary<string, ImmutableArray<string>> ImageRepoDigests { get; init; } = ImmutableDictionary<string, ImmutableArray<string>>.Empty;

    /// <summary>
    /// What this pass's registry checks found (<see cref="Berth.Reconciler.Images.TagChecker"/>), joined to the snapshot before
    /// planning: moved tags the planner pulls and rolls out, and registries that did not answer. None when
    /// no check was due.
    /// </summary>
    public Berth.Reconciler.Images.TagCheckResult TagChecks { get; init; } = Berth.Reconciler.Images.TagCheckResult.None;

    /// <summary>
    /// The platform (<see cref="PlatformName"/>, `os/arch[/variant]`) of each local image in
    /// <see cref="ImageIds"/>, one image inspect each, only for the images of services that set `platform` (HostReconciler): what a service's `platform` is checked against.
    /// </summary>
    public ImmutableDictionary<string, string> ImagePlatforms { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The fronts of this identity's services (kept apart from <see cref="Containers"/>: they are not replicas).</summary>
    public ImmutableArray<ObservedFront> Fronts { get; init; } = [];

    /// <summary>The service's replicas (<see cref="ObservedContainer.IsReplica"/>), in any run state.</summary>
    public IEnumerable<ObservedContainer> ReplicasOf(Spec.Model.ServiceSpec service) =>
        Containers.Where(container => container.Stack == service.Stack && container.Service == service.Name && container.IsReplica);
}
