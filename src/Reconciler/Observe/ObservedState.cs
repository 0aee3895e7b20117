using System.Collections.Immutable;

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
}

public sealed record ObservedNetwork(string Id, string Name, string Stack, string Key);

public sealed record ObservedVolume(string Name, string Stack, string Key);

/// <param name="ForeignContainerNames">Names of containers berth does not own (other tools, other host identities).</param>
/// <param name="ImageIds">Local image id per desired image reference; absent when the image is not present locally.</param>
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
}
