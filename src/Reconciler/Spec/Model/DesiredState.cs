using System.Collections.Immutable;

namespace Berth.Reconciler.Spec.Model;

// The desired state, after loading and validating a repository: immutable, normalised (every short
// and long Compose syntax maps to one form, defaults filled as Docker would), sorted by name so that
// iteration is deterministic. YamlDotNet's mutable DTOs never leave the loader.
// Collections are Immutable*: note that records compare them by reference; compare services by
// ConfigHash, never with ==.

/// <summary>What one host should run.</summary>
/// <param name="Host">The host identity this state was resolved for.</param>
/// <param name="Stacks">The stacks assigned to the host, sorted by name.</param>
/// <param name="Settings">Repository-wide settings.</param>
public sealed record DesiredState(string Host, ImmutableArray<StackSpec> Stacks, RepositorySettings Settings)
{
    public IEnumerable<ServiceSpec> AllServices => Stacks.SelectMany(stack => stack.Services);

    /// <summary>The secret values it was loaded with: what copied text (rollout evidence) is masked with. Default: none.</summary>
    public SecretValues Secrets { get; init; } = SecretValues.None;

    /// <summary>
    /// The host policy this state was judged by, or null (no policy): what a rollback target from the
    /// state file is judged by too (<see cref="Policy.HostPolicyScope.RefusedRollbacks"/>). Default null.
    /// </summary>
    public Policy.HostPolicyScope? Policy { get; init; }

    /// <summary>The host's place in a staged rollout (berth.yaml `waves:`); null (the default): no wave, it applies every commit at once.</summary>
    public WavePosition? Wave { get; init; }
}

/// <summary>Repository-wide settings (berth.yaml `settings:`).</summary>
/// <param name="AllowEmptyState">
/// A desired state that would remove every managed service of a host is refused unless this is set:
/// a truncated or mis-targeted commit must not wipe a host. Default false.
/// </param>
/// <param name="PruneVolumes">
/// Remove named volumes that left the spec. Default false: they are kept and reported as orphaned.
/// </param>
public sealed record RepositorySettings(bool AllowEmptyState = false, bool PruneVolumes = false)
{
    public static readonly RepositorySettings Default = new();
}

/// <summary>One Compose project on one host.</summary>
/// <param name="Name">Stack name: lowercase letters, digits, '-' and '_' (Compose project name rules).</param>
/// <param name="SourceFiles">The Compose files, repository-relative, in merge order.</param>
public sealed record StackSpec(
    string Name,
    ImmutableArray<string> SourceFiles,
    ImmutableArray<ServiceSpec> Services,
    ImmutableArray<NetworkSpec> Networks,
    ImmutableArray<VolumeSpec> Volumes);

/// <summary>A top-level Compose network.</summary>
/// <param name="Key">The key under `networks:` in the Compose file.</param>
/// <param name="EngineName">Name in the engine: `name:` if set, else `&lt;stack&gt;_&lt;key&gt;` (as Compose).</param>
/// <param name="External">Created outside berth: berth only checks that it exists, never changes or removes it.</param>
public sealed record NetworkSpec(
    string Key,
    string EngineName,
    bool External,
    string Driver,
    ImmutableSortedDictionary<string, string> DriverOptions,
    ImmutableSortedDictionary<string, string> Labels,
    bool Internal,
    bool EnableIpv6 = false,
    NetworkIpam? Ipam = null);

/// <summary>A top-level Compose volume.</summary>
/// <param name="EngineName">Name in the engine: `name:` if set, else `&lt;stack&gt;_&lt;key&gt;` (as Compose).</param>
public sealed record VolumeSpec(
    string Key,
    string EngineName,
    bool External,
    string Driver,
    ImmutableSortedDictionary<string, string> DriverOptions,
    ImmutableSortedDictionary<string, string> Labels);

/// <summary>A network's `ipam:` as written (the engine's IPAM driver, its address pools and options).</summary>
/// <param name="Driver">Null: the engine's default IPAM driver.</param>
public sealed record NetworkIpam(string? Driver, ImmutableArray<IpamPool> Pools, ImmutableSortedDictionary<string, string> Options)
{
    public bool Equals(NetworkIpam? other) =>
        other is not null && Driver == other.Driver && Pools.SequenceEqual(other.Pools) && Options.SequenceEqual(other.Options);

    public override int GetHashCode() => HashCode.Combine(Driver, Pools.Length, Options.Count);
}

/// <summary>One `ipam.config` entry: a subnet in CIDR form and, optionally, the range to allocate from, the gateway and reserved addresses.</summary>
public sealed record IpamPool(string Subnet, string? IpRange, string? Gateway, ImmutableSortedDictionary<string, string> AuxAddresses)
{
    public bool Equals(IpamPool? other) =>
        other is not null && Subnet == other.Subnet && IpRange == other.IpRange && Gateway == other.Gateway && AuxAddresses.SequenceEqual(other.AuxAddresses);

    public override int GetHashCode() => HashCode.Combine(Subnet, IpRange, Gateway);
}
