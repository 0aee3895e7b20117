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

    /// <summary>IPC sysctls the kernel keeps per IPC namespace (the engine's and runc's list).</summary>
    private static readonly string[] NamespacedIpcSysctls =
        ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shm_rmid_forced", "kernel.shmall", "kernel.shmmax", "kernel.shmmni"];

    /// <param name="repositoryDirectory">Where the repository's files live on this host: binds into it are the commit's own files.</param>
    public static void Report(IEnumerable<BuiltStack> stacks, HostPolicy policy, string repositoryDirectory, NodeReader reader)
    {
        var context = new Context(policy, reader, HostPaths.Resolve(repositoryDirectory) ?? repositoryDirectory);
        foreach (var stack in stacks)
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

    private sealed record Context(HostPolicy Policy, NodeReader Reader, string RepositoryDirectory);

    private static void CheckService(Context context, ServiceSpec service, ServicePlaces places)
    {
        var (policy, reader) = (context.Policy, context.Reader);
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
            CheckDevice(context, path, device, places.Of(PolicyPositionKeys.Device(device)));
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
            context.Reader.Error(at,
                $"{path}.devices: the host device {shown} is not in this host's allowed devices; refused by this host's policy (add {resolved ?? hostPath} to policy.devices to allow it)");
        }
    }

    /// <summary>
    /// A bind source is judged by where it really leads on this host (links followed, `..` resolved).
    /// `/` and the Docker socket are allowed only when listed exactly: a policy that lists a parent
    /// directory of the socket, or `/`, must not hand out the engine or the whole host by accident.
    /// </summary>
    private static void CheckBindSource(Context context, string path, string source, Location at, string what)
    {
        var resolved = HostPaths.Resolve(source);
        if (resolved is null)
        {
            context.Reader.Error(at, $"{path}: {what} cannot be followed on this host (a loop of symbolic links, or a directory that cannot be read); refused by this host's policy");
            return;
        }

        // The commit's own files: whoever pushes controls their content anyway. The link check above
        // stops a link in the repository from leading out of it (and git exports refuse such links).
        if (HostPaths.IsAtOrBelow(resolved, context.RepositoryDirectory))
        {
            return;
        }

        var entries = context.Policy.BindMounts.Select(entry => HostPaths.Resolve(entry)).OfType<string>().ToList();
        var exactOnly = resolved == "/" || DockerSockets.Contains(resolved);
        var allowed = exactOnly
            ? entries.Contains(resolved)
            : entries.Any(entry => entry != "/" && HostPaths.IsAtOrBelow(resolved, entry));
        if (!allowed)
        {
            var shown = resolved != source ? $"{what}, which leads to {resolved}," : what;
            var escape = resolved == "/" ? "the whole host file system" : DockerSockets.Contains(resolved) ? "the Docker engine (and so the host)" : null;
            context.Reader.Error(at,
                $"{path}: {shown} is outside the host paths this host allows{(escape is null ? "" : $" and hands out {escape}")}; refused by this host's policy " +
                $"({(exactOnly ? $"list exactly {resolved}" : $"add {resolved} or a directory above it")} in policy.bindMounts to allow it)");
        }
    }

    /// <summary>A local volume with `o: bind` and a `device` is a bind mount by another name.</summary>
    private static void CheckVolumeDevice(Context context, VolumeSpec volume, Location at)
    {
        if (volume.Driver is not ("local" or "")
            || !volume.DriverOptions.TryGetValue("device", out var device)
            || !volume.DriverOptions.TryGetValue("o", out var options)
            || !options.Split(',').Any(option => option.Trim() is "bind" or "rbind"))
        {
            return;
        }

        if (!device.StartsWith('/'))
        {
            context.Reader.Error(at, $"volumes.{volume.Key}.driver_opts.device: a bind volume's device must be an absolute host path; refused by this host's policy");
            return;
        }

        CheckBindSource(context, $"volumes.{volume.Key}.driver_opts.device", HostPolicyReader.Normalise(device), at, $"the bind volume of '{device}'");
    }

    private static bool DisablesConfinement(string option)
    {
        var normalised = option.Trim().ToLowerInvariant().Replace(':', '=');
        return normalised is "seccomp=unconfined" or "apparmor=unconfined" or "label=disable" or "systempaths=unconfined";
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
