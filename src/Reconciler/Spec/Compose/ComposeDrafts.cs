using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

// Mutable drafts of one Compose file, as read: every field is null/empty when the file does not set
// it, so that several files can be merged in order (ComposeMerger) before defaults are filled and the
// immutable model is built (StackBuilder). Locations are kept where a later check may point at them.

internal sealed record Located<T>(T Value, Location At);

internal sealed class ComposeFileDraft(string file)
{
    public string File { get; } = file;

    public Located<string>? Name { get; set; }

    public Dictionary<string, ServiceDraft> Services { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ResourceDraft> Networks { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ResourceDraft> Volumes { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level `include:` entries, in order; <see cref="ComposeFileSet"/> folds them in.</summary>
    public List<IncludeDraft> Includes { get; } = [];

    /// <summary>Top-level `secrets:`, their contents read (<see cref="FileObjectReader"/>).</summary>
    public Dictionary<string, FileObjectDraft> Secrets { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level `configs:`, their contents read.</summary>
    public Dictionary<string, FileObjectDraft> Configs { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One `include:` entry: its files (several are merged as overrides of the first), and the env files
/// whose variables interpolate them (empty: the project directory's `.env`, as in Compose).
/// </summary>
internal sealed record IncludeDraft(IReadOnlyList<Located<string>> Paths, IReadOnlyList<Located<string>> EnvFiles, Location At)
{
    /// <summary>
    /// `project_directory`, as a repository directory ("" for the root): the included files' relative
    /// paths (binds, env_file, secrets, their own includes) and their implicit `.env` resolve against it
    /// instead of each file's own directory. Null: each file's own directory.
    /// </summary>
    public string? ProjectDirectory { get; init; }
}

/// <summary>A service's `extends:`: the base service, and its file when not the same one (repository-relative).</summary>
internal sealed record ExtendsDraft(string Service, string? File, Location At);

/// <summary>A top-level secret or config, with its content read; Content is null when its definition had an error (already reported).</summary>
internal sealed class FileObjectDraft(string key, Location keyLocation, FileMountKind kind)
{
    public string Key { get; } = key;

    public Location KeyLocation { get; } = keyLocation;

    public FileMountKind Kind { get; } = kind;

    public FileContent? Content { get; set; }

    /// <summary>The keyed hash of <see cref="Content"/> (<see cref="Secrets.Files.ContentKeyring"/>).</summary>
    public string? ContentKey { get; set; }
}

/// <summary>A service's reference to a secret or config, its target resolved to an absolute container path.</summary>
internal sealed record FileReferenceDraft(string Source, string Target, int? Uid, int? Gid, int? Mode);

/// <summary>A top-level network or volume.</summary>
internal sealed class ResourceDraft(string key, Location keyLocation)
{
    public string Key { get; } = key;

    public Location KeyLocation { get; } = keyLocation;

    public bool? External { get; set; }

    public string? Name { get; set; }

    /// <summary>The legacy `external: { name: x }`; becomes <see cref="Name"/> once the resource is read.</summary>
    public Located<string>? LegacyExternalName { get; set; }

    public string? Driver { get; set; }

    public Dictionary<string, string> DriverOptions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    public bool? Internal { get; set; }

    /// <summary>Networks only: `enable_ipv6`.</summary>
    public bool? EnableIpv6 { get; set; }

    /// <summary>Networks only: `ipam`, replaced as a whole by a later file that sets it.</summary>
    public Located<NetworkIpam>? Ipam { get; set; }
}

internal sealed class ServiceDraft(string name, Location keyLocation)
{
    public string Name { get; } = name;

    /// <summary>Where the service is first defined: errors about the service as a whole point here.</summary>
    public Location KeyLocation { get; } = keyLocation;

    public Located<string>? Image { get; set; }

    /// <summary>`extends:`; resolved (and cleared) by <see cref="ComposeFileSet"/> before files are merged.</summary>
    public ExtendsDraft? Extends { get; set; }

    /// <summary>`links:` as (service, alias); the alias is the service's name when none is written.</summary>
    public List<Located<(string Service, string Alias)>> Links { get; } = [];

    /// <summary>`deploy.placement.constraints`; null when not set (see <see cref="Compose.Placement"/>).</summary>
    public List<Located<PlacementConstraint>>? Placement { get; set; }

    /// <summary>`profiles:`: the service runs only when one of them is active (<see cref="Profiles"/>); empty: always.</summary>
    public List<Located<string>> Profiles { get; } = [];

    /// <summary>
    /// An `image:` or `build:` key was written (Image may still be null: an invalid value, or build only).
    /// Its own error already explains; "has no image" would be a second error for the same cause.
    /// </summary>
    public bool ImageOrBuildWritten { get; set; }

    /// <summary>
    /// `extends:` was written but could not be resolved (its error is reported): the base may well have
    /// given the image, so "has no image" would be a second error for the same cause.
    /// </summary>
    public bool ExtendsFailed { get; set; }

    public List<string>? Command { get; set; }

    public List<string>? Entrypoint { get; set; }

    /// <summary>Values from env_file, in file order; `environment` overrides them.</summary>
    public List<KeyValuePair<string, string>> EnvFileValues { get; } = [];

    /// <summary>From `environment`; a null value means "unset it" (a bare KEY whose variable is undefined).</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    public Located<string>? ContainerName { get; set; }

    public List<Located<PortSpec>> Ports { get; } = [];

    public List<string> Expose { get; } = [];

    /// <summary>Keyed by container target: a later file's mount on the same target replaces the earlier one.</summary>
    public Dictionary<string, Located<MountSpec>> Mounts { get; } = new(StringComparer.Ordinal);

    /// <summary>null: `networks:` not set (then the stack's default network).</summary>
    public Dictionary<string, NetworkAttachmentDraft>? Networks { get; set; }

    public Located<string>? NetworkMode { get; set; }

    public HealthCheckDraft? HealthCheck { get; set; }

    /// <summary>`restart`, where it was written: a one-shot job refuses a policy that never lets it complete.</summary>
    public Located<string>? Restart { get; set; }

    public double? CpuLimit { get; set; }

    public long? MemoryLimit { get; set; }

    public long? PidsLimit { get; set; }

    // The service-level resource keys, apart from deploy.resources: Compose refuses a service whose
    // two spellings of one limit disagree, so both are kept until the files are merged and checked.
    public Located<double>? ServiceCpus { get; set; }

    public Located<long>? ServiceMemLimit { get; set; }

    public Located<long>? ServicePidsLimit { get; set; }

    public Located<long>? ServiceMemReservation { get; set; }

    /// <summary>`deploy.resources.reservations.memory`.</summary>
    public Located<long>? MemoryReservation { get; set; }

    /// <summary>`memswap_limit`: bytes, or -1 for unlimited swap.</summary>
    public Located<long>? MemswapLimit { get; set; }

    public long? CpuShares { get; set; }

    /// <summary>`deploy.restart_policy` as an engine restart string ("on-failure:3"); it wins over `restart`, as in Compose.</summary>
    public Located<string>? DeployRestart { get; set; }

    public bool? StdinOpen { get; set; }

    public bool? Tty { get; set; }

    public List<string>? GroupAdd { get; set; }

    /// <summary>Order kept, as for `dns`.</summary>
    public List<string>? DnsSearch { get; set; }

    public List<string>? DnsOpt { get; set; }

    public string? Runtime { get; set; }

    /// <summary>`platform`, normalised.</summary>
    public string? Platform { get; set; }

    public string? User { get; set; }

    public string? WorkingDir { get; set; }

    public string? Hostname { get; set; }

    public string? StopSignal { get; set; }

    public TimeSpan? StopGracePeriod { get; set; }

    public bool? Init { get; set; }

    public bool? ReadOnly { get; set; }

    public bool? Privileged { get; set; }

    public List<string> CapAdd { get; } = [];

    public List<string> CapDrop { get; } = [];

    public List<string> ExtraHosts { get; } = [];

    /// <summary>Order kept: the first server is asked first.</summary>
    public List<string>? Dns { get; set; }

    public Dictionary<string, string> Sysctls { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, UlimitSpec> Ulimits { get; } = new(StringComparer.Ordinal);

    public string? LoggingDriver { get; set; }

    public Dictionary<string, string>? LoggingOptions { get; set; }

    public List<string> Tmpfs { get; } = [];

    public long? ShmSize { get; set; }

    public List<string> Devices { get; } = [];

    public List<string> SecurityOpt { get; } = [];

    public Located<int>? Replicas { get; set; }

    public RolloutDraft Update { get; } = new();

    public RolloutDraft Rollback { get; } = new();

    public Dictionary<string, Located<ServiceDependency>> DependsOn { get; } = new(StringComparer.Ordinal);

    public PullPolicy? PullPolicy { get; set; }

    public TimeSpan? Drain { get; set; }

    /// <summary>`x-berth: { job_timeout: ... }`.</summary>
    public TimeSpan? JobTimeout { get; set; }

    /// <summary>`secrets:` of the service, keyed by target: a later file's reference to the same target replaces the earlier one.</summary>
    public Dictionary<string, Located<FileReferenceDraft>> SecretReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>`configs:` of the service, keyed by target like <see cref="SecretReferences"/>.</summary>
    public Dictionary<string, Located<FileReferenceDraft>> ConfigReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>`x-berth: { front: true }`, with where it was written (validation points at it).</summary>
    public Located<bool>? Front { get; set; }

    /// <summary>
    /// Where the values a host policy judges were written (`privileged`, each `cap_add`, `devices`,
    /// `security_opt` item and `sysctls` key), keyed by <see cref="Policy.PolicyPositionKeys"/>, so a
    /// violation points at the line to change. Image, network_mode and mounts carry their own place.
    /// </summary>
    public Dictionary<string, Location> PolicyPositions { get; } = new(StringComparer.Ordinal);
}

internal sealed class NetworkAttachmentDraft(string key, Location at)
{
    public string Key { get; } = key;

    public Location At { get; } = at;

    public SortedSet<string> Aliases { get; } = new(StringComparer.Ordinal);

    public Located<System.Net.IPAddress>? Ipv4Address { get; set; }

    public Located<System.Net.IPAddress>? Ipv6Address { get; set; }
}

internal sealed class HealthCheckDraft
{
    /// <summary>Empty: keep the image's test, with these timings.</summary>
    public List<string>? Test { get; set; }

    public bool? Disable { get; set; }

    public TimeSpan? Interval { get; set; }

    public TimeSpan? Timeout { get; set; }

    public TimeSpan? StartPeriod { get; set; }

    public TimeSpan? StartInterval { get; set; }

    public int? Retries { get; set; }
}

internal sealed class RolloutDraft
{
    public int? Parallelism { get; set; }

    public TimeSpan? Delay { get; set; }

    public FailureAction? FailureAction { get; set; }

    public TimeSpan? Monitor { get; set; }

    public double? MaxFailureRatio { get; set; }

    public Located<UpdateOrder>? Order { get; set; }
}
