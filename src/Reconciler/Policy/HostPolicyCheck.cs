using System.Collections.Immutable;
using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Policy;

/// <summary>
/// Judges a host's loaded, valid desired state against the host's policy: every service this host
/// runs, every rule, every violation reported where it was written, each naming the policy key that
/// would allow it. A violation refuses the commit exactly like an invalid spec (the loader returns no
/// state): nothing is applied, and what runs keeps running. Reads the host's file system only to
/// follow symbolic links in bind and device paths.
/// </summary>
internal static class HostPolicyCheck
{
    /// <summary>Docker's own sockets: a container holding one controls the engine, and so the host.</summary>
    private static readonly string[] DockerSockets = ["/run/docker.sock", "/var/run/docker.sock"];

    /// <summary>
    /// Paths that hand out the engine (its sockets, containerd's) or its data (every container's file
    /// system and volumes), or the whole host. A bind of one of them, or of a directory above one, is
    /// allowed only when that exact path is listed: listing `/run` must not hand out the socket in it.
    /// </summary>
    private static readonly string[] EnginePaths =
        ["/", "/run/docker.sock", "/var/run/docker.sock", "/run/containerd", "/var/run/containerd", "/var/lib/docker", "/var/lib/containerd"];

    /// <summary>Local volume types that mount no host path: memory, or a remote file system.</summary>
    private static readonly string[] HostlessVolumeTypes = ["tmpfs", "nfs", "nfs4", "cifs"];

    /// <summary>IPC sysctls the kernel keeps per IPC namespace (the engine's and runc's list).</summary>
    private static readonly string[] NamespacedIpcSysctls =
        ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shm_rmid_forced", "kernel.shmall", "kernel.shmmax", "kernel.shmmni"];

    /// <param name="repositoryDirectory">Where the repository's files live on this host: binds into it are the commit's own files.</param>
    public static void Report(IEnumerable<BuiltStack> stacks, HostPolicy policy, string repositoryDirectory, NodeReader reader)
    {
        var stackList = stacks.ToList();
        var repository = HostPaths.Resolve(repositoryDirectory) ?? repositoryDirectory;
        var writableBinds = WritableBindSources(stackList.SelectMany(stack => stack.Spec.Services), stackList.SelectMany(stack => stack.Spec.Volumes));
        var context = new Context(policy, reader.Error, repository, writableBinds);
        foreach (var stack in stackList)
        {
            foreach (var service in stack.Spec.Services)
            {
                var stackStart = Location.StartOf(stack.Spec.SourceFiles[0]);
                var places = stack.PolicyPlaces.TryGetValue(service.Name, out var found)
                    ? found
                    : new ServicePlaces(stack.ServiceLocations.GetValueOrDefault(service.Name, stackStart), null, null, [], []);
                CheckService(context, service, places);
            }

            foreach (var volume in stack.Spec.Volumes.Where(volume => !volume.External))
            {
                CheckVolumeDevice(context, volume, stack.VolumeLocations.GetValueOrDefault(volume.Key, Location.StartOf(stack.Spec.SourceFiles[0])));
            }
        }
    }

    /// <summary>
    /// Why this host's policy refuses one service's spec (every violation, without places), or nothing:
    /// the check a rollback target passes before it is created again (it comes from the state file, so
    /// the spec loader never judged it against the policy in force now). Writable binds of
    /// <paramref name="hostServices"/> count, as they do for the commit.
    /// </summary>
    public static ImmutableArray<string> Violations(ServiceSpec service, IEnumerable<ServiceSpec> hostServices, HostPolicy policy, string repositoryDirectory)
    {
        var messages = ImmutableArray.CreateBuilder<string>();
        var repository = HostPaths.Resolve(repositoryDirectory) ?? repositoryDirectory;
        var writableBinds = WritableBindSources(hostServices.Append(service), []);
        var context = new Context(policy, (_, message) => messages.Add(message), repository, writableBinds);
        var nowhere = Location.StartOf("state");
        CheckService(context, service, new ServicePlaces(nowhere, null, null, ImmutableDictionary<string, Location>.Empty, ImmutableDictionary<string, Location>.Empty));
        return messages.ToImmutable();
    }

    /// <param name="WritableBinds">
    /// Bind sources some service of this host mounts writable, each with the mounts that use it: a
    /// container can replace what lies below one by a symbolic link (<see cref="CheckBindBelowWritableBind"/>).
    /// </param>
    private sealed record Context(HostPolicy Policy, Action<Location, string> Error, string RepositoryDirectory, ImmutableArray<WritableBind> WritableBinds);

    /// <param name="Written">The source as written (lexically normalised), and <paramref name="Resolved"/> where it leads now.</param>
    private sealed record WritableBind(string Written, string Resolved, string Owner);

    private static ImmutableArray<WritableBind> WritableBindSources(IEnumerable<ServiceSpec> services, IEnumerable<VolumeSpec> volumes)
    {
        var binds = new List<WritableBind>();
        foreach (var service in services)
        {
            foreach (var mount in service.Container.Mounts.Where(mount => mount.Type == MountType.Bind && mount.Source is not null && !mount.ReadOnly))
            {
                var written = HostPolicyReader.Normalise(mount.Source!);
                binds.Add(new WritableBind(written, HostPaths.Resolve(written) ?? written, $"services.{service.Name}"));
            }
        }

        // A local bind volume is mounted writable by whoever uses it without `:ro`, and an overlay writes
        // to its upperdir and workdir: counted as writable.
        foreach (var volume in volumes.Where(volume => !volume.External && IsLocal(volume)))
        {
            var writtenDirectories = IsBindVolume(volume, out var device)
                ? [device]
                : volume.DriverOptions.GetValueOrDefault("type", "").Trim().Equals("overlay", StringComparison.OrdinalIgnoreCase)
                    ? OverlayDirectories(volume).Where(directory => directory.Key is "upperdir" or "workdir").Select(directory => directory.Path).ToList()
                    : [];
            foreach (var directory in writtenDirectories.Where(directory => directory.StartsWith('/')))
            {
                var written = HostPolicyReader.Normalise(directory);
                binds.Add(new WritableBind(written, HostPaths.Resolve(written) ?? written, $"volumes.{volume.Key}"));
            }
        }

        return [.. binds.DistinctBy(bind => (bind.Written, bind.Resolved)).OrderBy(bind => bind.Written, StringComparer.Ordinal)];
    }

    private static void CheckService(Context context, ServiceSpec service, ServicePlaces places)
    {
        var (policy, reader) = (context.Policy, context);
        var container = service.Container;
        var path = $"services.{service.Name}";

        // privileged: every capability, every device, no seccomp or AppArmor: root on the host.
        if (container.Privileged && !policy.Privileged)
        {
            reader.Error(places.Of(PolicyPositionKeys.Privileged),
                $"{path}.privileged: a privileged container has every capability and device of the host; refused by this host's policy (policy.privileged: true would allow it)");
        }

        // network_mode: host shares the host's network stack: its loopback services, every port, raw sockets on its interfaces.
        if (container.NetworkMode == "host" && !policy.HostNamespaces.Contains("network"))
        {
            reader.Error(places.NetworkMode ?? places.Key,
                $"{path}.network_mode: host shares the host's network namespace; refused by this host's policy (policy.hostNamespaces: [network] would allow it)");
        }

        if (!policy.Capabilities.Contains(Capabilities.All))
        {
            foreach (var written in container.CapAdd)
            {
                var capability = Capabilities.Normalise(written);
                if (!policy.Capabilities.Contains(capability))
                {
                    reader.Error(places.Of(PolicyPositionKeys.Capability(written)),
                        $"{path}.cap_add: capability {capability} is not in this host's allowed capabilities; refused by this host's policy (add {capability} to policy.capabilities to allow it)");
                }
            }
        }

        foreach (var device in container.Devices)
        {
            CheckDevice(context, $"{path}.devices", device, places.Of(PolicyPositionKeys.Device(device)));
        }

        if (!policy.Unconfined)
        {
            foreach (var option in container.SecurityOpt.Where(DisablesConfinement))
            {
                reader.Error(places.Of(PolicyPositionKeys.SecurityOption(option)),
                    $"{path}.security_opt: '{option}' switches off the confinement of the container; refused by this host's policy (policy.unconfined: true would allow it)");
            }
        }

        foreach (var mount in container.Mounts.Where(mount => mount.Type == MountType.Bind && mount.Source is not null))
        {
            CheckBindSource(context, $"{path}.volumes", mount.Source!, places.OfMount(mount.Target), $"the bind mount of '{mount.Source}'");
        }

        if (policy.Sysctls == SysctlScope.Namespaced)
        {
            foreach (var key in container.Sysctls.Keys)
            {
                if (!IsNamespacedSysctl(key, hostNetwork: container.NetworkMode == "host"))
                {
                    reader.Error(places.Of(PolicyPositionKeys.Sysctl(key)),
                        $"{path}.sysctls: {key} is not namespaced: it would change the host's kernel{(key.Replace('/', '.').StartsWith("net.", StringComparison.Ordinal) ? " (on the host network)" : "")}; refused by this host's policy (policy.sysctls: any would allow it)");
                }
            }
        }

        if (policy.Images is { } images)
        {
            var repository = ImageNames.Repository(container.Image);
            if (!images.Any(entry => ImageNames.Matcher(entry)(repository)))
            {
                reader.Error(places.Image ?? places.Key,
                    $"{path}.image: {repository} is not from a registry or repository this host allows ({(images.IsEmpty ? "none" : string.Join(", ", images))}); refused by this host's policy (add it, or its registry, to policy.images to allow it)");
            }
        }
    }

    private static void CheckDevice(Context context, string path, string device, Location at)
    {
        var hostPath = device.Split(':')[0];
        var resolved = HostPaths.Resolve(hostPath);
        var allowed = resolved is not null && context.Policy.Devices.Any(entry => HostPaths.Resolve(entry) == resolved);
        if (!allowed)
        {
            var shown = resolved is not null && resolved != hostPath ? $"{hostPath} (which is {resolved})" : hostPath;
            context.Error(at,
                $"{path}: the host device {shown} is not in this host's allowed devices; refused by this host's policy (add {resolved ?? hostPath} to policy.devices to allow it)");
        }
    }

    /// <summary>
    /// A bind source is judged by where it really leads on this host (links followed, `..` resolved).
    /// `/`, and the engine's sockets and data (<see cref="EnginePaths"/>) or a directory above one of
    /// them, are allowed only when listed exactly: a policy that lists `/run` must not hand out the
    /// socket in it, nor `/` the whole host, by accident.
    /// </summary>
    private static void CheckBindSource(Context context, string path, string source, Location at, string what)
    {
        var resolved = HostPaths.Resolve(source);
        if (resolved is null)
        {
            context.Error(at, $"{path}: {what} cannot be followed on this host (a loop of symbolic links, or a directory that cannot be read); refused by this host's policy");
            return;
        }

        CheckBindBelowWritableBind(context, path, source, resolved, at, what);

        // The commit's own files: whoever pushes controls their content anyway. The link check above
        // stops a link in the repository from leading out of it (and git exports refuse such links).
        if (HostPaths.IsAtOrBelow(resolved, context.RepositoryDirectory))
        {
            return;
        }

        var entries = context.Policy.BindMounts.Select(entry => HostPaths.Resolve(entry)).OfType<string>().ToList();

        // A source at or above an engine path is allowed only when it is listed exactly and so is every
        // engine path it hands out (`/`: itself): listing `/run` for `/run/app` must not hand out the
        // socket through a bind of `/run` (or `/var/run`, which leads there).
        var handedOut = resolved == "/" ? ["/"] : EnginePathsAtOrBelow(resolved);
        var exactOnly = handedOut.Count > 0;
        var needed = exactOnly ? handedOut.Prepend(resolved).Distinct().ToList() : [];
        var allowed = exactOnly
            ? needed.All(entries.Contains)
            : entries.Any(entry => entry != "/" && HostPaths.IsAtOrBelow(resolved, entry));
        if (!allowed)
        {
            var shown = resolved != source ? $"{what}, which leads to {resolved}," : what;
            var escape = !exactOnly ? null
                : resolved == "/" ? "the whole host file system"
                : $"the Docker engine (and so the host), through {string.Join(", ", handedOut)}";
            context.Error(at,
                $"{path}: {shown} is outside the host paths this host allows{(escape is null ? "" : $" and hands out {escape}")}; refused by this host's policy " +
                $"({(exactOnly ? $"list exactly {string.Join(" and ", needed)}" : $"add {resolved} or a directory above it")} in policy.bindMounts to allow it)");
        }
    }

    /// <summary>The engine paths (as they resolve on this host) at or below a bind source: what binding it hands out.</summary>
    private static List<string> EnginePathsAtOrBelow(string resolved) =>
        [.. EnginePaths
            .Select(enginePath => HostPaths.Resolve(enginePath) ?? enginePath)
            .Where(enginePath => HostPaths.IsAtOrBelow(enginePath, resolved))
            .Distinct()
            .Order(StringComparer.Ordinal)];

    /// <summary>
    /// A bind source strictly below a source some service mounts writable: that container can replace
    /// the path in between by a symbolic link (to `/`, say), and the engine follows it when it mounts the
    /// inner bind again, at any later start (restart policy, crash, reboot), with no check in between.
    /// Judged by the path as written and as it resolves now: a link already there can be swapped too.
    /// The same directory bound twice is fine: a mount point cannot be replaced from inside the mount.
    /// </summary>
    private static void CheckBindBelowWritableBind(Context context, string path, string source, string resolved, Location at, string what)
    {
        if (context.Policy.NestedBindMounts)
        {
            return;
        }

        var written = HostPolicyReader.Normalise(source);
        var outer = context.WritableBinds.FirstOrDefault(bind =>
            HostPaths.IsStrictlyBelow(written, bind.Written) || HostPaths.IsStrictlyBelow(written, bind.Resolved)
            || HostPaths.IsStrictlyBelow(resolved, bind.Written) || HostPaths.IsStrictlyBelow(resolved, bind.Resolved));
        if (outer is not null)
        {
            context.Error(at,
                $"{path}: {what} lies below {outer.Written}, which {outer.Owner} mounts writable: a container there can replace the path by a symbolic link that the engine follows at the next start; " +
                "refused by this host's policy (bind a directory no container can write to, or policy.nestedBindMounts: true would allow it)");
        }
    }


    private static bool IsLocal(VolumeSpec volume) => volume.Driver is "local" or "";

    /// <summary>A local volume with `o: bind` (or rbind) and a `device`: a bind mount by another name (the mount type does not matter to a bind).</summary>
    private static bool IsBindVolume(VolumeSpec volume, out string device)
    {
        device = volume.DriverOptions.GetValueOrDefault("device", "");
        return volume.DriverOptions.TryGetValue("o", out var options) && MountOptions(options).Any(option => option is "bind" or "rbind");
    }

    private static IEnumerable<string> MountOptions(string options) => options.Split(',').Select(option => option.Trim());

    /// <summary>
    /// An overlay's host directories from its `o:`: every layer of `lowerdir` (a ':'-separated list) is
    /// seen by the container; `upperdir` and `workdir` are written to.
    /// </summary>
    private static List<(string Key, string Path)> OverlayDirectories(VolumeSpec volume) =>
        [.. MountOptions(volume.DriverOptions.GetValueOrDefault("o", ""))
            .Select(option => option.IndexOf('=') is var equals and > 0 ? (Key: option[..equals], Value: option[(equals + 1)..]) : (Key: option, Value: ""))
            .Where(option => option.Key is "lowerdir" or "upperdir" or "workdir")
            .SelectMany(option => option.Value.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(directory => (option.Key, directory)))];

    /// <summary>
    /// The local driver mounts whatever `type`, `device` and `o` say (mount(8) on the host): a bind of a
    /// host path, a host disk (`type: ext4, device: /dev/sda1`), an overlay of host directories, proc... Only
    /// what mounts no host path passes as it is: tmpfs and the remote nfs/nfs4/cifs. A bind is judged as a
    /// bind mount, a `/dev/...` device as a `devices:` entry, an overlay's directories as bind mounts;
    /// every other type needs policy.volumeTypes.
    /// </summary>
    private static void CheckVolumeDevice(Context context, VolumeSpec volume, Location at)
    {
        var options = volume.DriverOptions;
        if (!IsLocal(volume) || !(options.ContainsKey("type") || options.ContainsKey("device") || options.ContainsKey("o")))
        {
            // A plain named volume: a directory the engine makes under its own data directory.
            return;
        }

        var path = $"volumes.{volume.Key}.driver_opts";
        var type = options.GetValueOrDefault("type", "").Trim().ToLowerInvariant();
        if (IsBindVolume(volume, out var device))
        {
            if (!device.StartsWith('/'))
            {
                context.Error(at, $"{path}.device: a bind volume's device must be an absolute host path; refused by this host's policy");
                return;
            }

            CheckBindSource(context, $"{path}.device", HostPolicyReader.Normalise(device), at, $"the bind volume of '{device}'");
            return;
        }

        if (HostlessVolumeTypes.Contains(type))
        {
            return;
        }

        if (type == "overlay")
        {
            foreach (var (key, directory) in OverlayDirectories(volume))
            {
                if (!directory.StartsWith('/'))
                {
                    context.Error(at, $"{path}.o: the overlay's {key} '{directory}' must be an absolute host path; refused by this host's policy");
                    continue;
                }

                CheckBindSource(context, $"{path}.o", HostPolicyReader.Normalise(directory), at, $"the overlay {key} '{directory}'");
            }

            return;
        }

        if (device.StartsWith("/dev/", StringComparison.Ordinal))
        {
            // A host disk or partition, whatever the file system: as much as `devices: [that device]` (more: mounted, not raw).
            CheckDevice(context, $"{path}.device", device, at);
            return;
        }

        if (!context.Policy.VolumeTypes.Contains(type))
        {
            var shown = type.Length == 0 ? "no type" : $"type '{type}'";
            context.Error(at,
                $"{path}: a local volume of {shown}{(device.Length == 0 ? "" : $" on '{device}'")} mounts something of the host's; refused by this host's policy " +
                $"(tmpfs, nfs, nfs4, cifs and binds are judged on their own; add {(type.Length == 0 ? "the type" : type)} to policy.volumeTypes to allow it)");
        }
    }

    /// <summary>
    /// security_opt as the engine parses it (moby's parseSecurityOpt): `key=value` (or the old
    /// `key:value`), and a bare `disable`, which is `label=disable`. Any seccomp profile other than the
    /// built-in one is the commit's own filter (inline JSON can allow every call), so it counts as unconfined.
    /// </summary>
    private static bool DisablesConfinement(string option)
    {
        var trimmed = option.Trim();
        if (trimmed.Equals("disable", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var separator = trimmed.Contains('=') ? '=' : ':';
        var cut = trimmed.IndexOf(separator);
        if (cut < 0)
        {
            return false;
        }

        var key = trimmed[..cut].Trim().ToLowerInvariant();
        var value = trimmed[(cut + 1)..].Trim();
        return key switch
        {
            "seccomp" => !value.Equals("builtin", StringComparison.OrdinalIgnoreCase) && !value.Equals("default", StringComparison.OrdinalIgnoreCase),
            "apparmor" or "systempaths" => value.Equals("unconfined", StringComparison.OrdinalIgnoreCase),
            "label" => value.Equals("disable", StringComparison.OrdinalIgnoreCase),

            // Go's strconv.ParseBool, as the engine reads it: a writable cgroup file system lets the container change its own limits and the host's release agent.
            "writable-cgroups" => value is "1" or "t" or "T" or "TRUE" or "true" or "True",
            _ => false,
        };
    }

    /// <summary>
    /// The sysctls the kernel keeps per container: IPC ones and, unless the container is on the host's
    /// network, net.* (the engine's validation); every other sysctl is the host's own.
    /// </summary>
    private static bool IsNamespacedSysctl(string key, bool hostNetwork)
    {
        var dotted = key.Replace('/', '.');
        return NamespacedIpcSysctls.Contains(dotted)
            || dotted.StartsWith("fs.mqueue.", StringComparison.Ordinal)
            || (!hostNetwork && dotted.StartsWith("net.", StringComparison.Ordinal));
    }
}
