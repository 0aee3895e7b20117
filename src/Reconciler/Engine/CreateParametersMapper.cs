using System.Globalization;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;
using ContainerSpec = Berth.Reconciler.Spec.Model.ContainerSpec;
using ServiceSpec = Berth.Reconciler.Spec.Model.ServiceSpec;
using Docker.DotNet.Models;

namespace Berth.Reconciler.Engine;

/// <summary>Maps a normalised <see cref="ContainerSpec"/> to the engine's create parameters. Pure.</summary>
internal static class CreateParametersMapper
{
    /// <param name="inheritedVolumes">
    /// Container target -> engine volume name of the anonymous volumes the replaced container had
    /// (see <see cref="AnonymousVolumeTargets"/>); they are mounted again instead of new empty ones.
    /// </param>
    /// <param name="filesDirectory">
    /// The service's generation directory of secrets and configs (<see cref="Secrets.Files.MountedFileStore"/>),
    /// when it has any: each file is bound read-only at its target, as docker compose does without Swarm.
    /// </param>
    public static CreateContainerParameters Map(ContainerCreateRequest request, IReadOnlyDictionary<string, string>? inheritedVolumes = null, string? filesDirectory = null)
    {
        inheritedVolumes ??= new Dictionary<string, string>(StringComparer.Ordinal);
        var service = request.Service;
        var spec = service.Container;
        var labels = new Dictionary<string, string>(spec.Labels, StringComparer.Ordinal)
        {
            [BerthLabels.ManagedBy] = BerthLabels.ManagedByValue,
            [BerthLabels.Host] = request.Owner.HostIdentity,
            [BerthLabels.Stack] = service.Stack,
            [BerthLabels.Service] = service.Name,
            [BerthLabels.Replica] = BerthLabels.Format(request.Replica),
            [BerthLabels.ConfigHash] = service.ConfigHash,
        };
        if (request.Owner.Revision is { } revision)
        {
            labels[BerthLabels.Revision] = revision;
        }

        if (request.ReplacementOf is { } replaced)
        {
            labels[BerthLabels.ReplacementOf] = replaced;
        }

        if (service.Front)
        {
            labels[BerthLabels.BehindFront] = "true";
        }

        var exposedPorts = new Dictionary<string, EmptyStruct>(StringComparer.Ordinal);
        var portBindings = new Dictionary<string, IList<PortBinding>>(StringComparer.Ordinal);
        foreach (var port in spec.Ports)
        {
            var key = PortKey(port.Target, port.Protocol);
            exposedPorts[key] = default;
            if (!portBindings.TryGetValue(key, out var bindings))
            {
                bindings = [];
                portBindings[key] = bindings;
            }

            bindings.Add(new PortBinding
            {
                HostIP = port.HostIp,
                HostPort = port.Published?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            });
        }

        foreach (var exposed in spec.Expose)
        {
            exposedPorts[exposed.Contains('/', StringComparison.Ordinal) ? exposed : exposed + "/tcp"] = default;
        }

        // The limits and restart policy exactly as a drift check compares them with an inspect (one derivation:
        // a create and its comparison can never disagree about, say, how cpus becomes NanoCPUs).
        var resources = ContainerResources.Of(spec);

        // Docker.DotNet's models are annotated non-nullable but omit nulls on the wire: null means
        // "the image's / engine's default", hence the null-forgiving operators below.
        return new CreateContainerParameters
        {
            Name = request.Name,
            // The engine picks the local image of this platform, and refuses one of another platform.
            Platform = spec.Platform!,
            Image = spec.Image,
            Entrypoint = spec.Entrypoint is { } entrypoint ? [.. entrypoint] : null!,
            Cmd = spec.Command is { } command ? [.. command] : null!,
            Env = [.. spec.Environment.Select(variable => $"{variable.Key}={variable.Value}")],
            Labels = labels,
            ExposedPorts = exposedPorts,
            Healthcheck = MapHealthCheck(spec.HealthCheck),
            User = spec.User!,
            WorkingDir = spec.WorkingDir!,
            Hostname = spec.Hostname!,
            StopSignal = spec.StopSignal,
            StopTimeout = spec.StopGracePeriod,
            OpenStdin = spec.StdinOpen,
            Tty = spec.Tty,
            HostConfig = new HostConfig
            {
                PortBindings = portBindings,
                Binds = [.. spec.Mounts.Where(UsesLegacyBind).Select(LegacyBind)],
                Mounts = [.. spec.Mounts.Where(mount => !UsesLegacyBind(mount)).Select(mount => MapMount(mount, inheritedVolumes)),
                    .. InheritedImageVolumes(spec, inheritedVolumes),
                    .. FileMounts(spec, filesDirectory)],
                RestartPolicy = new RestartPolicy { Name = RestartKind(resources.RestartPolicy), MaximumRetryCount = resources.RestartRetries },
                Init = spec.Init ? true : null,
                ReadonlyRootfs = spec.ReadOnly,
                CapAdd = [.. spec.CapAdd],
                CapDrop = [.. spec.CapDrop],
                Privileged = spec.Privileged,
                ExtraHosts = [.. spec.ExtraHosts],
                DNS = [.. spec.Dns],
                Sysctls = spec.Sysctls.ToDictionary(StringComparer.Ordinal),
                Ulimits = [.. spec.Ulimits.Select(limit => new Ulimit { Name = limit.Name, Soft = limit.Soft, Hard = limit.Hard })],
                LogConfig = spec.Logging is { } logging
                    ? new LogConfig { Type = logging.Driver, Config = logging.Options.ToDictionary(StringComparer.Ordinal) }
                    : null!,
                Tmpfs = spec.Tmpfs.ToDictionary(TmpfsTarget, TmpfsOptions, StringComparer.Ordinal),
                ShmSize = spec.ShmSizeBytes ?? 0,
                Devices = [.. spec.Devices.Select(MapDevice)],
                SecurityOpt = [.. spec.SecurityOpt],
                NetworkMode = spec.NetworkMode ?? FirstNetwork(spec)!,
                NanoCPUs = resources.NanoCpus,
                Memory = resources.Memory,
                // Not resources.PidsLimit: a create sends none (null) for "no limit", which the comparison reads as 0.
                PidsLimit = spec.Limits.Pids,
                MemorySwap = resources.MemorySwap,
                MemoryReservation = resources.MemoryReservation,
                CPUShares = resources.CpuShares,
                GroupAdd = [.. spec.GroupAdd],
                DNSSearch = [.. spec.DnsSearch],
                DNSOptions = [.. spec.DnsOptions],
                Runtime = spec.Runtime!,
            },
            // API 1.41 (Docker 20.10) accepts only one network at create time: the first one is
            // attached here, the rest are connected before start (see DockerContainerEngine).
            NetworkingConfig = spec.NetworkMode is null && spec.Networks.Length > 0
                ? new NetworkingConfig
                {
                    EndpointsConfig = new Dictionary<string, EndpointSettings>(StringComparer.Ordinal)
                    {
                        [spec.Networks[0].EngineName] = new EndpointSettings
                        {
                            Aliases = [.. Aliases(service, spec.Networks[0], request.AttachAliases)],
                            IPAMConfig = FixedAddresses(spec.Networks[0]),
                        },
                    },
                }
                : null,
        };
    }

    /// <summary>
    /// The DNS names a replica answers to on a network: the service name plus its aliases, or none
    /// while it is unproven, and none ever behind a front (the front holds them).
    /// </summary>
    public static IEnumerable<string> Aliases(ServiceSpec service, ServiceNetwork network, bool attachAliases) =>
        attachAliases && !service.Front ? ServiceAliases(service, network) : [];

    /// <summary>The service's DNS names on a network: its name plus the network's aliases.</summary>
    public static IEnumerable<string> ServiceAliases(ServiceSpec service, ServiceNetwork network) =>
        network.Aliases.Prepend(service.Name).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// The container paths where a container of this spec gets an anonymous volume: the spec's
    /// volume entries without a source ("- /data"), and the image's VOLUME paths that no spec
    /// mount or tmpfs covers. Like docker compose, a replacement takes these over from the
    /// container it replaces instead of starting with new, empty ones.
    /// </summary>
    public static IReadOnlySet<string> AnonymousVolumeTargets(ContainerSpec spec, IEnumerable<string> imageVolumes)
    {
        var covered = spec.Mounts.Select(mount => mount.Target).Concat(spec.Tmpfs.Select(TmpfsTarget)).ToHashSet(StringComparer.Ordinal);
        var targets = spec.Mounts.Where(mount => mount.Type == MountType.Volume && mount.Source is null).Select(mount => mount.Target)
            .ToHashSet(StringComparer.Ordinal);
        targets.UnionWith(imageVolumes.Where(path => !covered.Contains(path)));
        return targets;
    }

    /// <summary>Inherited anonymous volumes at the image's VOLUME paths, which the spec does not mention.</summary>
    private static IEnumerable<Mount> InheritedImageVolumes(ContainerSpec spec, IReadOnlyDictionary<string, string> inheritedVolumes) =>
        inheritedVolumes
            .Where(inherited => !spec.Mounts.Any(mount => mount.Target == inherited.Key))
            .OrderBy(inherited => inherited.Key, StringComparer.Ordinal)
            .Select(inherited => new Mount { Type = "volume", Source = inherited.Value, Target = inherited.Key });

    /// <summary>The endpoint's fixed `ipv4_address` / `ipv6_address`; null when it has none (the engine assigns one).</summary>
    public static EndpointIPAMConfig? FixedAddresses(ServiceNetwork network) =>
        network.Ipv4Address is null && network.Ipv6Address is null
            ? null
            : new EndpointIPAMConfig { IPv4Address = network.Ipv4Address!, IPv6Address = network.Ipv6Address! };

    private static string? FirstNetwork(ContainerSpec spec) => spec.Networks.Length > 0 ? spec.Networks[0].EngineName : null;

    private static string PortKey(int target, PortProtocol protocol) =>
        $"{target.ToString(CultureInfo.InvariantCulture)}/{protocol.ToString().ToLowerInvariant()}";

    private static HealthcheckConfig? MapHealthCheck(HealthCheckSpec? healthCheck) => healthCheck is null
        ? null
        : new HealthcheckConfig
        {
            Test = [.. healthCheck.Test],
            Interval = healthCheck.Interval,
            Timeout = healthCheck.Timeout,
            StartPeriod = healthCheck.StartPeriod,
            StartInterval = healthCheck.StartInterval,
            Retries = healthCheck.Retries,
        };

    /// <summary>
    /// A bind that may create its missing host directory goes through the legacy `HostConfig.Binds`
    /// form ("src:dst[:ro,propagation]"), as docker compose does: with Binds every engine (API 1.41 /
    /// Docker 20.10 included) creates a missing source directory, while the Mounts form refuses it
    /// ("bind source path does not exist") and only API 1.42+ knows BindOptions.CreateMountpoint.
    /// A bind without create_host_path stays a Mount, so a missing source fails the create clearly.
    /// A source or target with ':' cannot be written as a Binds string; it stays a Mount with
    /// CreateMountpoint (API 1.42+; older engines then report the missing path).
    /// </summary>
    internal static bool UsesLegacyBind(MountSpec mount) =>
        mount.Type == MountType.Bind && mount.BindCreateHostPath
        && mount.Source is { } source && !source.Contains(':', StringComparison.Ordinal) && !mount.Target.Contains(':', StringComparison.Ordinal);

    private static string LegacyBind(MountSpec mount)
    {
        var options = new List<string>(3);
        if (mount.ReadOnly)
        {
            options.Add("ro");
        }

        if (mount.BindPropagation is { } propagation)
        {
            options.Add(propagation);
        }

        // The Mounts form has no SELinux relabel; Compose writes z / Z into the bind's mode here too.
        if (mount.BindSELinux is { } relabel)
        {
            options.Add(relabel);
        }

        return options.Count == 0 ? $"{mount.Source}:{mount.Target}" : $"{mount.Source}:{mount.Target}:{string.Join(',', options)}";
    }

    /// <summary>Secrets and configs: read-only binds of their files in the generation directory.</summary>
    internal static IEnumerable<Mount> FileMounts(ContainerSpec spec, string? filesDirectory)
    {
        if (filesDirectory is null)
        {
            yield break;
        }

        foreach (var mounts in new[] { spec.Secrets, spec.Configs })
        {
            for (var index = 0; index < mounts.Length; index++)
            {
                yield return new Mount
                {
                    Type = "bind",
                    Source = Path.Combine(filesDirectory, Secrets.Files.MountedFileStore.FileName(mounts[index], index)),
                    Target = mounts[index].Target,
                    ReadOnly = true,
                };
            }
        }
    }

    private static Mount MapMount(MountSpec mount, IReadOnlyDictionary<string, string> inheritedVolumes) => new()
    {
        Type = mount.Type switch
        {
            MountType.Volume => "volume",
            MountType.Bind => "bind",
            _ => "tmpfs",
        },
        // An anonymous volume (no source) reuses the replaced container's one, so its data survives.
        Source = mount.Type == MountType.Volume && mount.Source is null && inheritedVolumes.TryGetValue(mount.Target, out var inherited)
            ? inherited
            : mount.Source,
        Target = mount.Target,
        ReadOnly = mount.ReadOnly,
        VolumeOptions = mount.Type == MountType.Volume && mount.VolumeNoCopy ? new VolumeOptions { NoCopy = true } : null,
        BindOptions = mount.Type == MountType.Bind
            ? new BindOptions { Propagation = mount.BindPropagation, CreateMountpoint = mount.BindCreateHostPath }
            : null,
        TmpfsOptions = mount.Type == MountType.Tmpfs && mount.TmpfsSizeBytes is { } size ? new TmpfsOptions { SizeBytes = size } : null,
    };

    /// <summary>The engine's kind for a policy name of <see cref="ContainerResources.RestartPolicy"/> ("no" for anything else).</summary>
    private static RestartPolicyKind RestartKind(string policy) => policy switch
    {
        "always" => RestartPolicyKind.Always,
        "on-failure" => RestartPolicyKind.OnFailure,
        "unless-stopped" => RestartPolicyKind.UnlessStopped,
        _ => RestartPolicyKind.No,
    };

    private static string TmpfsTarget(string tmpfs) => tmpfs.Split(':', 2)[0];

    private static string TmpfsOptions(string tmpfs) => tmpfs.Split(':', 2) is [_, var options] ? options : string.Empty;

    private static DeviceMapping MapDevice(string device)
    {
        var parts = device.Split(':');
        return new DeviceMapping
        {
            PathOnHost = parts[0],
            PathInContainer = parts.Length > 1 ? parts[1] : parts[0],
            CgroupPermissions = parts.Length > 2 ? parts[2] : "rwm",
        };
    }
}
