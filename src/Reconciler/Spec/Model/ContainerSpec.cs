using System.Collections.Immutable;

namespace Berth.Reconciler.Spec.Model;

/// <summary>
/// Everything that shapes a container, normalised. Two equal ContainerSpecs must produce
/// containers nobody could tell apart; any difference means the container is recreated.
/// </summary>
/// <param name="Image">Image reference as written (after interpolation), e.g. "nginx:1.27" or "repo@sha256:...".</param>
/// <param name="Entrypoint">null: the image's entrypoint.</param>
/// <param name="Command">null: the image's command.</param>
/// <param name="Environment">After env_file and interpolation; later sources win, as in Compose.</param>
/// <param name="Labels">User labels only; berth's own labels are added by the engine adapter.</param>
/// <param name="ContainerName">Explicit `container_name`, else null (berth names it `stack-service-n`).</param>
/// <param name="HealthCheck">null: the image's own health check (if any).</param>
/// <param name="Restart">"no", "always", "on-failure[:N]" or "unless-stopped". Default "no", as Compose.</param>
/// <param name="StopGracePeriod">null: the engine default (10 s).</param>
/// <param name="ShmSizeBytes">null: the engine default.</param>
/// <remarks>
/// Fields added after hashes were first pinned carry <see cref="HashedOnlyWhenSetAttribute"/> and
/// default to "unset": a service that does not use them keeps the config hash it had before.
/// </remarks>
public sealed record ContainerSpec(
    string Image,
    ImmutableArray<string>? Entrypoint,
    ImmutableArray<string>? Command,
    ImmutableSortedDictionary<string, string> Environment,
    ImmutableSortedDictionary<string, string> Labels,
    string? ContainerName,
    ImmutableArray<PortSpec> Ports,
    ImmutableArray<string> Expose,
    ImmutableArray<MountSpec> Mounts,
    ImmutableArray<ServiceNetwork> Networks,
    string? NetworkMode,
    HealthCheckSpec? HealthCheck,
    string Restart,
    ResourceLimits Limits,
    string? User,
    string? WorkingDir,
    string? Hostname,
    string? StopSignal,
    TimeSpan? StopGracePeriod,
    bool Init,
    bool ReadOnly,
    ImmutableArray<string> CapAdd,
    ImmutableArray<string> CapDrop,
    bool Privileged,
    ImmutableArray<string> ExtraHosts,
    ImmutableArray<string> Dns,
    ImmutableSortedDictionary<string, string> Sysctls,
    ImmutableArray<UlimitSpec> Ulimits,
    LoggingSpec? Logging,
    ImmutableArray<string> Tmpfs,
    long? ShmSizeBytes,
    ImmutableArray<string> Devices,
    ImmutableArray<string> SecurityOpt)
{
    /// <summary>`stdin_open`: keep STDIN open (Config.OpenStdin).</summary>
    [HashedOnlyWhenSet]
    public bool StdinOpen { get; init; }

    /// <summary>`tty`: allocate a pseudo-TTY (Config.Tty).</summary>
    [HashedOnlyWhenSet]
    public bool Tty { get; init; }

    /// <summary>`memswap_limit` in bytes, -1 for unlimited swap; null: the engine default (twice the memory limit).</summary>
    [HashedOnlyWhenSet]
    public long? MemorySwapBytes { get; init; }

    /// <summary>`mem_reservation` or `deploy.resources.reservations.memory` in bytes (a soft limit).</summary>
    [HashedOnlyWhenSet]
    public long? MemoryReservationBytes { get; init; }

    /// <summary>`cpu_shares`: relative CPU weight; null: the engine default (1024).</summary>
    [HashedOnlyWhenSet]
    public long? CpuShares { get; init; }

    // The init accessors below turn a default array into an empty one: a state file written before a field
    // existed lacks it, and the source-generated reader (Native AOT) sets an absent init-only property to
    // its type's default instead of leaving the initializer's value (SourceGeneratedJsonTests).
    /// <summary>`group_add`: extra groups (names or ids) for the container's process, sorted.</summary>
    [HashedOnlyWhenSet]
    public ImmutableArray<string> GroupAdd { get; init => field = value.IsDefault ? [] : value; } = [];

    /// <summary>`dns_search`: DNS search domains, in order (the first is tried first).</summary>
    [HashedOnlyWhenSet]
    public ImmutableArray<string> DnsSearch { get; init => field = value.IsDefault ? [] : value; } = [];

    /// <summary>`dns_opt`: resolv.conf options, in order as written.</summary>
    [HashedOnlyWhenSet]
    public ImmutableArray<string> DnsOptions { get; init => field = value.IsDefault ? [] : value; } = [];

    /// <summary>`runtime`: the OCI runtime (e.g. runc); null: the engine's default runtime.</summary>
    [HashedOnlyWhenSet]
    public string? Runtime { get; init; }

    /// <summary>
    /// `platform`, normalised (<see cref="PlatformName"/>): sent on pull and create, and an image of another
    /// platform is refused, never run instead. Null: the engine's own platform.
    /// </summary>
    [HashedOnlyWhenSet]
    public string? Platform { get; init; }

    /// <summary>`secrets:` of the service, sorted by target; hashed by their keyed content hash, never the content.</summary>
    [HashedOnlyWhenSet]
    public ImmutableArray<FileMountSpec> Secrets { get; init => field = value.IsDefault ? [] : value; } = [];

    /// <summary>`configs:` of the service, sorted by target; hashed as <see cref="Secrets"/>.</summary>
    [HashedOnlyWhenSet]
    public ImmutableArray<FileMountSpec> Configs { get; init => field = value.IsDefault ? [] : value; } = [];
}

/// <summary>
/// A <see cref="ContainerSpec"/> field that is left out of the config hash while it has its default
/// value (false, null, empty), so adding the field to berth does not re-create existing containers.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class HashedOnlyWhenSetAttribute : Attribute;

public enum PortProtocol
{
    Tcp,
    Udp,
    Sctp,
}

/// <summary>One published or exposed port; short-syntax ranges are expanded into one PortSpec each.</summary>
/// <param name="Target">Container port.</param>
/// <param name="Published">Host port, or null for an ephemeral one (which does not block start-first).</param>
/// <param name="HostIp">Host address to bind, "" for all.</param>
public sealed record PortSpec(int Target, int? Published, string HostIp, PortProtocol Protocol);

public enum MountType
{
    Volume,
    Bind,
    Tmpfs,
}

/// <summary>A `volumes:` entry of a service.</summary>
/// <param name="Source">Volume: engine volume name (null for an anonymous volume). Bind: absolute host path.</param>
/// <param name="VolumeKey">For a named volume: its key under top-level `volumes:`; else null.</param>
public sealed record MountSpec(
    MountType Type,
    string? Source,
    string Target,
    bool ReadOnly,
    string? VolumeKey = null,
    bool VolumeNoCopy = false,
    string? BindPropagation = null,
    bool BindCreateHostPath = true,
    long? TmpfsSizeBytes = null)
{
    /// <summary>
    /// `z` (shared) or `Z` (private) SELinux relabel of a bind source, passed to the engine in the
    /// bind's mode as Compose does; null: no relabel. Left out of the JSON while null, so the hash of
    /// existing mounts is unchanged.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? BindSELinux { get; init; }
}

/// <summary>A service's attachment to a network.</summary>
/// <param name="Key">Key under top-level `networks:`.</param>
/// <param name="EngineName">The network's engine name (resolved from the top-level definition).</param>
/// <param name="Aliases">Extra DNS names, sorted. The service name is always an alias too (added by the engine adapter).</param>
public sealed record ServiceNetwork(string Key, string EngineName, ImmutableArray<string> Aliases)
{
    /// <summary>`ipv4_address`: a fixed address on this network; hashed only when set, so that services without keep their hash.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Ipv4Address { get; init; }

    /// <summary>`ipv6_address`, as <see cref="Ipv4Address"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Ipv6Address { get; init; }
}

/// <summary>A Compose healthcheck, with Docker's defaults filled in.</summary>
/// <param name="Test">["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"] when disabled.</param>
/// <param name="Interval">Default 30 s.</param>
/// <param name="Timeout">Default 30 s.</param>
/// <param name="StartPeriod">Default 0.</param>
/// <param name="StartInterval">Default 5 s (Docker 25+; older engines ignore it).</param>
/// <param name="Retries">Default 3.</param>
public sealed record HealthCheckSpec(
    ImmutableArray<string> Test,
    TimeSpan Interval,
    TimeSpan Timeout,
    TimeSpan StartPeriod,
    TimeSpan StartInterval,
    int Retries)
{
    public bool Disabled => Test.Length > 0 && Test[0] == "NONE";
}

/// <summary>`deploy.resources.limits` (and the legacy top-level equivalents).</summary>
public sealed record ResourceLimits(double? Cpus, long? MemoryBytes, long? Pids)
{
    public static readonly ResourceLimits None = new(null, null, null);
}

public sealed record UlimitSpec(string Name, long Soft, long Hard);

public sealed record LoggingSpec(string Driver, ImmutableSortedDictionary<string, string> Options);
