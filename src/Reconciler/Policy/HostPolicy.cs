using System.Collections.Immutable;

namespace Berth.Reconciler.Policy;

/// <summary>Which `sysctls` a service may set (policy key <c>sysctls</c>).</summary>
public enum SysctlScope
{
    /// <summary>Only sysctls the kernel keeps per container (IPC and, off the host network, net.*).</summary>
    Namespaced,

    /// <summary>Any sysctl the engine accepts.</summary>
    Any,
}

/// <summary>
/// A host's limits on what a commit may ask of it (the `policy:` section of the daemon's config, or
/// a file given with `--policy`). It lives on the host, never in the desired-state repository: whoever
/// can push must not be able to lift it. Every value defaults to the restrictive choice, so a policy
/// section that names only what it allows is as tight as it can be; no policy at all (null where a
/// policy is expected) allows everything, as berth did before policies existed. See docs/policy.md.
/// </summary>
public sealed record HostPolicy
{
    /// <summary>The namespaces a service may share with the host (`hostNamespaces`).</summary>
    public static readonly ImmutableArray<string> NamespaceNames = ["ipc", "network", "pid", "userns", "uts"];

    /// <summary>Every value at its default: the tightest policy.</summary>
    public static readonly HostPolicy Restrictive = new();

    /// <summary>`privileged: true` in a service is allowed. Default false.</summary>
    public bool Privileged { get; init; }

    /// <summary>Host namespaces a service may join (`network` for network_mode: host), from <see cref="NamespaceNames"/>. Default none.</summary>
    public ImmutableSortedSet<string> HostNamespaces { get; init; } = [];

    /// <summary>Capabilities `cap_add` may name, upper case without `CAP_`; `ALL` allows any. Default none.</summary>
    public ImmutableSortedSet<string> Capabilities { get; init; } = [];

    /// <summary>Host device paths `devices` may map, exactly (after resolving links). Default none.</summary>
    public ImmutableSortedSet<string> Devices { get; init; } = [];

    /// <summary>
    /// `security_opt` may switch confinement off (seccomp/apparmor/systempaths=unconfined, any seccomp
    /// profile but the built-in one, label=disable, writable-cgroups=true). Default false.
    /// </summary>
    public bool Unconfined { get; init; }

    /// <summary>
    /// Host directories (and files) a bind mount may come from, absolute and normalised: a listed path
    /// allows itself and everything below it, except `/` and the engine's sockets and data (and any directory above them), allowed only
    /// when listed exactly. Binds into the repository's own directory are always allowed. Default none.
    /// </summary>
    public ImmutableSortedSet<string> BindMounts { get; init; } = [];

    /// <summary>
    /// A bind source may lie below another bind source that some service of the host mounts writable
    /// (`nestedBindMounts`). Default false: a container could swap the path in between for a symbolic
    /// link that the engine follows at the next start.
    /// </summary>
    public bool NestedBindMounts { get; init; }

    /// <summary>
    /// Mount types a local volume's `driver_opts.type` may name beyond those judged on their own (tmpfs,
    /// nfs, nfs4, cifs, overlay, binds, `/dev/...` devices), lower case (`volumeTypes`). Default none.
    /// </summary>
    public ImmutableSortedSet<string> VolumeTypes { get; init; } = [];

    /// <summary>Default <see cref="SysctlScope.Namespaced"/>.</summary>
    public SysctlScope Sysctls { get; init; } = SysctlScope.Namespaced;

    /// <summary>
    /// Where images may come from: registry hosts, repository prefixes (ending in '/') or exact
    /// repositories, normalised (`nginx` is docker.io/library/nginx). Null (the default): any image.
    /// </summary>
    public ImmutableArray<string>? Images { get; init; }

    /// <summary>
    /// How every image must be pinned (`pinnedImages`): <see cref="ImagePinning.Tag"/> (a tag other than
    /// latest, or a digest) or <see cref="ImagePinning.Digest"/>. Default <see cref="ImagePinning.None"/>:
    /// any reference, as before the rule existed.
    /// </summary>
    public ImagePinning PinnedImages { get; init; }

    // Immutable collections compare by reference in a record; two policies with the same content are equal.
    public bool Equals(HostPolicy? other) =>
        other is not null
        && Privileged == other.Privileged
        && NestedBindMounts == other.NestedBindMounts
        && VolumeTypes.SetEquals(other.VolumeTypes)
        && Unconfined == other.Unconfined
        && Sysctls == other.Sysctls
        && PinnedImages == other.PinnedImages
        && HostNamespaces.SetEquals(other.HostNamespaces)
        && Capabilities.SetEquals(other.Capabilities)
        && Devices.SetEquals(other.Devices)
        && BindMounts.SetEquals(other.BindMounts)
        && (Images is null ? other.Images is null : other.Images is { } images && Images.Value.SequenceEqual(images));

    public override int GetHashCode() => HashCode.Combine(Privileged, Unconfined, Sysctls, HostNamespaces.Count, Capabilities.Count, BindMounts.Count, Images?.Length);
}
