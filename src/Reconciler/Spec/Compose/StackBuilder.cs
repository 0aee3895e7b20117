using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Validation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>A stack as built, with the places host-level checks point at.</summary>
/// <param name="ServiceLocations">Per service: its `container_name` if set, else its key.</param>
/// <param name="NetworkLocations">Per top-level network key: where it is defined.</param>
/// <param name="VolumeLocations">Per top-level volume key: where it is defined.</param>
internal sealed record BuiltStack(
    StackSpec Spec,
    ImmutableDictionary<string, Location> ServiceLocations,
    ImmutableDictionary<string, Location> NetworkLocations,
    ImmutableDictionary<string, Location> VolumeLocations)
{
    /// <summary>Per service: where the values a host policy judges were written (see <see cref="Policy.ServicePlaces"/>).</summary>
    public ImmutableDictionary<string, Policy.ServicePlaces> PolicyPlaces { get; init; } = ImmutableDictionary<string, Policy.ServicePlaces>.Empty;
}

/// <summary>
/// Checks a merged stack draft for what only the whole stack can tell (references between services,
/// networks and volumes; cycles; rollout against ports), fills Docker's defaults and builds the
/// immutable, sorted <see cref="StackSpec"/> with each service's config hash.
/// </summary>
internal static class StackBuilder
{
    public const string DefaultNetwork = "default";

    /// <returns>Null when errors were added.</returns>
    public static BuiltStack? Build(string stackName, ImmutableArray<string> sourceFiles, ComposeFileDraft draft, NodeReader reader)
    {
        var errorsBefore = reader.Errors.Count;
        if (draft.Services.Count == 0)
        {
            reader.Error(Location.StartOf(sourceFiles[0]), $"stack '{stackName}' has no services");
        }

        // As Compose: the default network exists when a service lists no networks, or names `default` explicitly.
        var usesDefaultNetwork = draft.Services.Values.Any(service =>
            (service.Networks is null && service.NetworkMode is null) || service.Networks?.ContainsKey(DefaultNetwork) == true);
        if (usesDefaultNetwork && !draft.Networks.ContainsKey(DefaultNetwork))
        {
            draft.Networks[DefaultNetwork] = new ResourceDraft(DefaultNetwork, Location.StartOf(sourceFiles[0]));
        }

        var networks = draft.Networks.Values.Select(network => BuildNetwork(stackName, network, reader)).OrderBy(network => network.Key, StringComparer.Ordinal).ToImmutableArray();
        var volumes = draft.Volumes.Values.Select(volume => BuildVolume(stackName, volume, reader)).OrderBy(volume => volume.Key, StringComparer.Ordinal).ToImmutableArray();
        var networksByKey = networks.ToDictionary(network => network.Key, StringComparer.Ordinal);
        var volumesByKey = volumes.ToDictionary(volume => volume.Key, StringComparer.Ordinal);

        var services = new List<ServiceSpec>();
        foreach (var service in draft.Services.Values.OrderBy(service => service.Name, StringComparer.Ordinal))
        {
            reader.Errors.ReadingService = service.Name;
            ServiceSpec? built;
            try
            {
                CheckReferences(service, draft, reader);
                CheckResources(service, reader);
                built = BuildService(stackName, service, networksByKey, volumesByKey, reader) is { } serviceSpec
                    ? serviceSpec with { Container = serviceSpec.Container with { Secrets = FileMounts(service.SecretReferences, draft.Secrets), Configs = FileMounts(service.ConfigReferences, draft.Configs) } }
                    : null;
            }
            finally
            {
                reader.Errors.ReadingService = null;
            }

            if (built is not null)
            {
                services.Add(built);
            }
        }

        var jobs = OneShotJobs.Check(draft, reader);
        services = [.. services.Select(service => jobs.Contains(service.Name) ? service with { Job = true } : service)];
        DependencyCycles.Report(draft.Services.Values, reader);
        if (reader.Errors.Count > errorsBefore)
        {
            return null;
        }

        var spec = new StackSpec(stackName, sourceFiles, [.. services], networks, volumes);
        var locations = draft.Services.Values.ToImmutableDictionary(service => service.Name, service => service.ContainerName?.At ?? service.KeyLocation);
        return new BuiltStack(spec, locations,
            draft.Networks.Values.ToImmutableDictionary(network => network.Key, network => network.KeyLocation),
            draft.Volumes.Values.ToImmutableDictionary(volume => volume.Key, volume => volume.KeyLocation))
        {
            PolicyPlaces = draft.Services.Values.ToImmutableDictionary(service => service.Name, Policy.ServicePlaces.Of),
        };
    }

    private static void CheckReferences(ServiceDraft service, ComposeFileDraft draft, NodeReader reader)
    {
        // required: false (Compose): a dependency that is not a service of the stack is ignored.
        foreach (var optional in service.DependsOn.Where(pair => !pair.Value.Value.Required && !draft.Services.ContainsKey(pair.Key)).Select(pair => pair.Key).ToList())
        {
            service.DependsOn.Remove(optional);
        }

        foreach (var (target, dependency) in service.DependsOn)
        {
            if (!draft.Services.ContainsKey(target))
            {
                reader.Error(dependency.At, $"service '{service.Name}' depends on unknown service '{target}'{reader.Hint(target, draft.Services.Keys)}");
            }
            else if (target == service.Name)
            {
                reader.Error(dependency.At, $"service '{service.Name}' depends on itself");
            }
        }

        if (service.Front is { Value: true } front && service.NetworkMode is not null)
        {
            reader.Error(front.At, $"service '{service.Name}': x-berth.front needs the service on networks (a front holds its aliases there), not network_mode");
        }

        if (service.NetworkMode is { } mode)
        {
            if (service.Networks is not null)
            {
                reader.Error(mode.At, $"service '{service.Name}' sets both network_mode and networks; use one");
            }

            if (mode.Value.StartsWith("service:", StringComparison.Ordinal) && mode.Value["service:".Length..] is var other && !draft.Services.ContainsKey(other))
            {
                reader.Error(mode.At, $"network_mode refers to unknown service '{other}'{reader.Hint(other, draft.Services.Keys)}");
            }
        }

        foreach (var attachment in service.Networks?.Values.AsEnumerable() ?? [])
        {
            if (!draft.Networks.ContainsKey(attachment.Key))
            {
                reader.Error(attachment.At, $"service '{service.Name}' uses unknown network '{attachment.Key}'; define it under the top-level networks:{reader.Hint(attachment.Key, draft.Networks.Keys)}");
            }
        }

        foreach (var mount in service.Mounts.Values)
        {
            if (mount.Value.VolumeKey is { } volumeKey && !draft.Volumes.ContainsKey(volumeKey))
            {
                reader.Error(mount.At, $"service '{service.Name}' uses unknown volume '{volumeKey}'; define it under the top-level volumes: (or write ./{volumeKey} for a bind mount){reader.Hint(volumeKey, draft.Volumes.Keys)}");
            }
        }

        foreach (var (references, definitions, kind) in new[] { (service.SecretReferences, draft.Secrets, FileMountKind.Secret), (service.ConfigReferences, draft.Configs, FileMountKind.Config) })
        {
            foreach (var reference in references.Values)
            {
                if (!definitions.ContainsKey(reference.Value.Source))
                {
                    var noun = FileObjectReader.Noun(kind);
                    reader.Error(reference.At, $"service '{service.Name}' uses unknown {noun} '{reference.Value.Source}'; define it under the top-level {noun}s:{reader.Hint(reference.Value.Source, definitions.Keys)}");
                }
            }
        }

        var replicas = service.Replicas?.Value ?? 1;
        if (service.ContainerName is { } containerName && replicas > 1)
        {
            reader.Error(containerName.At, $"service '{service.Name}' sets container_name and {replicas} replicas: container names are unique; remove container_name or use 1 replica");
        }

        var fixedPort = service.Ports.FirstOrDefault(port => port.Value.Published is not null);
        if (fixedPort is not null && replicas > 1)
        {
            reader.Error(fixedPort.At, $"service '{service.Name}' has {replicas} replicas and publishes host port {fixedPort.Value.Published}: only one container can bind it; publish an ephemeral port (\"{fixedPort.Value.Target}\") or use 1 replica");
        }

        foreach (var order in new[] { service.Update.Order, service.Rollback.Order })
        {
            if (order is { Value: UpdateOrder.StartFirst } && fixedPort is not null)
            {
                reader.Error(order.At, $"order: start-first with fixed host port {fixedPort.Value.Published} cannot work on one host: the new container cannot bind the port the old one holds; use order: stop-first or an ephemeral port");
            }
        }

        CheckFixedAddresses(service, draft, replicas, reader);
    }

    /// <summary>
    /// A fixed `ipv4_address` / `ipv6_address` is held by one container: one replica, replaced stop-first
    /// (<see cref="Planning.RolloutOrder"/>), never behind a front (a front moves aliases by reconnecting,
    /// which would drop the address). On a network berth creates, the engine allows it only inside a
    /// subnet the network's `ipam.config` declares: checked here rather than failing at create.
    /// </summary>
    private static void CheckFixedAddresses(ServiceDraft service, ComposeFileDraft draft, int replicas, NodeReader reader)
    {
        foreach (var attachment in service.Networks?.Values.AsEnumerable() ?? [])
        {
            foreach (var (address, key) in new[] { (attachment.Ipv4Address, "ipv4_address"), (attachment.Ipv6Address, "ipv6_address") })
            {
                if (address is null)
                {
                    continue;
                }

                if (replicas > 1)
                {
                    reader.Error(address.At, $"service '{service.Name}' has {replicas} replicas and a fixed {key}: only one container can hold an address; remove it or use 1 replica");
                }

                if (service.Front is { Value: true })
                {
                    reader.Error(address.At, $"service '{service.Name}': x-berth.front moves the service's aliases by reconnecting its containers, which would drop the fixed {key}; use one or the other");
                }

                foreach (var order in new[] { service.Update.Order, service.Rollback.Order })
                {
                    if (order is { Value: UpdateOrder.StartFirst })
                    {
                        reader.Error(order.At, $"order: start-first with a fixed {key} cannot work: the new container cannot take the address the old one holds; use order: stop-first");
                    }
                }

                if (draft.Networks.TryGetValue(attachment.Key, out var network) && network.External != true)
                {
                    var subnets = (network.Ipam?.Value.Pools ?? []).Select(pool => IpamSyntax.TryParseSubnet(pool.Subnet, out var subnet) ? subnet : (System.Net.IPNetwork?)null).OfType<System.Net.IPNetwork>().ToList();
                    if (!subnets.Any(subnet => subnet.Contains(address.Value)))
                    {
                        reader.Error(address.At, $"{key} {address.Value} is not inside a subnet of network '{attachment.Key}': the engine assigns fixed addresses only from subnets the network declares; add it under networks.{attachment.Key}.ipam.config");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Compose refuses a service whose service-level key and its deploy.resources twin disagree
    /// (compose-go: "can't set distinct values"); berth does too, after merging, at the service-level
    /// key. The engine's own rules on memory are checked here so they fail at validation, not at create.
    /// </summary>
    private static void CheckResources(ServiceDraft service, NodeReader reader)
    {
        CheckTwins(service.ServiceCpus, service.CpuLimit, "cpus", "deploy.resources.limits.cpus");
        CheckTwins(service.ServiceMemLimit, service.MemoryLimit, "mem_limit", "deploy.resources.limits.memory");
        CheckTwins(service.ServicePidsLimit, service.PidsLimit, "pids_limit", "deploy.resources.limits.pids");
        CheckTwins(service.ServiceMemReservation, service.MemoryReservation?.Value, "mem_reservation", "deploy.resources.reservations.memory");

        var memory = service.MemoryLimit ?? service.ServiceMemLimit?.Value;
        if (service.MemswapLimit is { } swap)
        {
            if (memory is null)
            {
                reader.Error(swap.At, $"service '{service.Name}': memswap_limit needs a memory limit (mem_limit or deploy.resources.limits.memory); the engine refuses it alone");
            }
            else if (swap.Value != -1 && swap.Value < memory)
            {
                reader.Error(swap.At, $"service '{service.Name}': memswap_limit ({swap.Value} bytes) is memory plus swap and must be at least the memory limit ({memory} bytes), or -1 for unlimited swap");
            }
        }

        var reservation = service.MemoryReservation ?? service.ServiceMemReservation;
        if (reservation is not null && memory is { } limit && reservation.Value > limit)
        {
            reader.Error(reservation.At, $"service '{service.Name}': the memory reservation ({reservation.Value} bytes) is above the memory limit ({limit} bytes); the engine refuses it");
        }

        void CheckTwins<T>(Located<T>? serviceLevel, T? deploy, string key, string deployKey)
            where T : struct
        {
            if (serviceLevel is not null && deploy is { } deployValue && !EqualityComparer<T>.Default.Equals(serviceLevel.Value, deployValue))
            {
                reader.Error(serviceLevel.At, $"service '{service.Name}': {key} ({serviceLevel.Value}) and {deployKey} ({deployValue}) differ; Compose refuses distinct values too: keep one of them");
            }
        }
    }

    private static ServiceSpec? BuildService(
        string stackName, ServiceDraft service, Dictionary<string, NetworkSpec> networks, Dictionary<string, VolumeSpec> volumes, NodeReader reader)
    {
        if (service.Image is null)
        {
            // With a `build:`, an invalid `image:` or a failed `extends:` that key's error says what to do:
            // one error per cause.
            if (!service.ImageOrBuildWritten && !service.ExtendsFailed)
            {
                reader.Error(service.KeyLocation, $"service '{service.Name}' has no image: 'image' is required (berth runs images from registries)");
            }

            return null;
        }

        var attachments = service.NetworkMode is not null
            ? []
            : (service.Networks?.Values.AsEnumerable() ?? [new NetworkAttachmentDraft(DefaultNetwork, service.KeyLocation)])
                .Where(attachment => networks.ContainsKey(attachment.Key))
                .Select(attachment => new ServiceNetwork(attachment.Key, networks[attachment.Key].EngineName, [.. attachment.Aliases])
                {
                    Ipv4Address = attachment.Ipv4Address?.Value.ToString(),
                    Ipv6Address = attachment.Ipv6Address?.Value.ToString(),
                })
                .OrderBy(network => network.Key, StringComparer.Ordinal)
                .ToImmutableArray();

        var mounts = service.Mounts.Values
            .Select(mount => mount.Value.VolumeKey is { } key && volumes.TryGetValue(key, out var volume) ? mount.Value with { Source = volume.EngineName } : mount.Value)
            .OrderBy(mount => mount.Target, StringComparer.Ordinal)
            .ToImmutableArray();

        var container = new ContainerSpec(
            Image: service.Image.Value,
            Entrypoint: service.Entrypoint is null ? null : [.. service.Entrypoint],
            Command: service.Command is null ? null : [.. service.Command],
            Environment: BuildEnvironment(service),
            Labels: service.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal),
            ContainerName: service.ContainerName?.Value,
            Ports: [.. service.Ports.Select(port => port.Value).Distinct()
                .OrderBy(port => port.Target).ThenBy(port => port.Protocol).ThenBy(port => port.HostIp, StringComparer.Ordinal).ThenBy(port => port.Published)],
            Expose: [.. service.Expose.Distinct().OrderBy(port => int.Parse(port.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)).ThenBy(port => port, StringComparer.Ordinal)],
            Mounts: mounts,
            Networks: attachments,
            NetworkMode: service.NetworkMode?.Value,
            HealthCheck: BuildHealthCheck(service.HealthCheck),
            // deploy.restart_policy wins over restart, as in docker compose (getRestartPolicy).
            Restart: service.DeployRestart?.Value ?? service.Restart?.Value ?? "no",
            // A service-level key and its deploy twin are equal when both are set (CheckResources).
            Limits: new ResourceLimits(
                service.CpuLimit ?? service.ServiceCpus?.Value,
                service.MemoryLimit ?? service.ServiceMemLimit?.Value,
                service.PidsLimit ?? service.ServicePidsLimit?.Value),
            User: service.User,
            WorkingDir: service.WorkingDir,
            Hostname: service.Hostname,
            StopSignal: service.StopSignal,
            StopGracePeriod: service.StopGracePeriod,
            Init: service.Init ?? false,
            ReadOnly: service.ReadOnly ?? false,
            CapAdd: SortedDistinct(service.CapAdd),
            CapDrop: SortedDistinct(service.CapDrop),
            Privileged: service.Privileged ?? false,
            ExtraHosts: SortedDistinct(service.ExtraHosts),
            Dns: [.. service.Dns ?? []],
            Sysctls: service.Sysctls.ToImmutableSortedDictionary(StringComparer.Ordinal),
            Ulimits: [.. service.Ulimits.Values.OrderBy(limit => limit.Name, StringComparer.Ordinal)],
            Logging: service.LoggingDriver is null && service.LoggingOptions is null
                ? null
                : new LoggingSpec(service.LoggingDriver ?? "json-file", (service.LoggingOptions ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal)),
            Tmpfs: SortedDistinct(service.Tmpfs),
            ShmSizeBytes: service.ShmSize,
            Devices: SortedDistinct(service.Devices),
            SecurityOpt: SortedDistinct(service.SecurityOpt))
        {
            StdinOpen = service.StdinOpen ?? false,
            Tty = service.Tty ?? false,
            MemorySwapBytes = service.MemswapLimit?.Value,
            MemoryReservationBytes = (service.MemoryReservation ?? service.ServiceMemReservation)?.Value,
            CpuShares = service.CpuShares,
            GroupAdd = SortedDistinct(service.GroupAdd ?? []),
            DnsSearch = [.. service.DnsSearch ?? []],
            DnsOptions = [.. service.DnsOpt ?? []],
            Runtime = service.Runtime,
            Platform = service.Platform,
        };

        var front = service.Front?.Value ?? false;
        return new ServiceSpec(
            Stack: stackName,
            Name: service.Name,
            Replicas: service.Replicas?.Value ?? 1,
            Container: container,
            Update: BuildRollout(service.Update, RolloutPolicy.DefaultUpdate),
            Rollback: BuildRollout(service.Rollback, RolloutPolicy.DefaultRollback),
            DependsOn: [.. service.DependsOn.Values.Select(dependency => dependency.Value).OrderBy(dependency => dependency.Service, StringComparer.Ordinal)],
            PullPolicy: service.PullPolicy ?? PullPolicy.Missing)
        {
            Drain = service.Drain ?? TimeSpan.Zero,
            JobTimeout = service.JobTimeout ?? ServiceSpec.DefaultJobTimeout,
            Front = front,
        };
    }

    /// <summary>
    /// A service's secret or config references with their definitions' content and keyed hash, sorted by
    /// target. A reference to an unknown or failed definition was reported already and is left out.
    /// </summary>
    private static ImmutableArray<FileMountSpec> FileMounts(Dictionary<string, Located<FileReferenceDraft>> references, Dictionary<string, FileObjectDraft> definitions) =>
        [.. references.Values
            .Select(reference => reference.Value)
            .Where(reference => definitions.TryGetValue(reference.Source, out var definition) && definition.ContentKey is not null)
            .Select(reference => definitions[reference.Source] is var definition
                ? new FileMountSpec(definition.Kind, reference.Source, reference.Target, reference.Uid, reference.Gid, reference.Mode, definition.ContentKey!) { Content = definition.Content }
                : null!)
            .OrderBy(mount => mount.Target, StringComparer.Ordinal)];

    /// <summary>env_file values first, then `environment` (a null there removes the key), as Compose.</summary>
    private static ImmutableSortedDictionary<string, string> BuildEnvironment(ServiceDraft service)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in service.EnvFileValues)
        {
            environment[key] = value;
        }

        foreach (var (key, value) in service.Environment)
        {
            if (value is null)
            {
                environment.Remove(key);
            }
            else
            {
                environment[key] = value;
            }
        }

        return environment.ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    private static HealthCheckSpec? BuildHealthCheck(HealthCheckDraft? draft)
    {
        if (draft is null)
        {
            return null;
        }

        // Docker's defaults, filled here so that writing them out changes nothing.
        var test = draft.Disable == true ? ["NONE"] : draft.Test ?? [];
        return new HealthCheckSpec(
            [.. test],
            draft.Interval ?? TimeSpan.FromSeconds(30),
            draft.Timeout ?? TimeSpan.FromSeconds(30),
            draft.StartPeriod ?? TimeSpan.Zero,
            draft.StartInterval ?? TimeSpan.FromSeconds(5),
            draft.Retries ?? 3);
    }

    private static RolloutPolicy BuildRollout(RolloutDraft draft, RolloutPolicy defaults) => new(
        draft.Parallelism ?? defaults.Parallelism,
        draft.Delay ?? defaults.Delay,
        draft.FailureAction ?? defaults.FailureAction,
        draft.Monitor ?? defaults.Monitor,
        draft.MaxFailureRatio ?? defaults.MaxFailureRatio,
        draft.Order?.Value ?? defaults.Order);

    private static NetworkSpec BuildNetwork(string stackName, ResourceDraft draft, NodeReader reader)
    {
        var external = CheckExternal(draft, reader, "network");
        return new NetworkSpec(
            draft.Key,
            EngineName(stackName, draft, external),
            external,
            draft.Driver ?? "bridge",
            draft.DriverOptions.ToImmutableSortedDictionary(StringComparer.Ordinal),
            draft.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal),
            draft.Internal ?? false,
            draft.EnableIpv6 ?? false,
            draft.Ipam?.Value);
    }

    private static VolumeSpec BuildVolume(string stackName, ResourceDraft draft, NodeReader reader)
    {
        var external = CheckExternal(draft, reader, "volume");
        return new VolumeSpec(
            draft.Key,
            EngineName(stackName, draft, external),
            external,
            draft.Driver ?? "local",
            draft.DriverOptions.ToImmutableSortedDictionary(StringComparer.Ordinal),
            draft.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal));
    }

    /// <summary>As Compose: `name:` if set; an external resource is otherwise named by its key; else `stack_key`.</summary>
    private static string EngineName(string stackName, ResourceDraft draft, bool external) =>
        draft.Name ?? (external ? draft.Key : $"{stackName}_{draft.Key}");

    private static bool CheckExternal(ResourceDraft draft, NodeReader reader, string kind)
    {
        var external = draft.External ?? false;
        if (external && (draft.Driver is not null || draft.DriverOptions.Count > 0 || draft.Labels.Count > 0 || draft.Internal is not null || draft.EnableIpv6 is not null || draft.Ipam is not null))
        {
            reader.Error(draft.KeyLocation, $"external {kind} '{draft.Key}' is created outside berth: it takes only 'name', not driver, driver_opts, labels, internal, enable_ipv6 or ipam");
        }

        return external;
    }

    private static ImmutableArray<string> SortedDistinct(IEnumerable<string> values) => [.. values.Distinct().Order(StringComparer.Ordinal)];
}
