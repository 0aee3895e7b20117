namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Merges a stack's Compose files in order, as `docker compose -f a.yaml -f b.yaml` does: later
/// scalars win; maps (environment, labels, sysctls, ulimits, networks, depends_on) merge by key;
/// mounts merge by target; ports, expose and the other lists are appended without duplicates;
/// command, entrypoint, dns and healthcheck.test are replaced as a whole.
/// </summary>
internal static class ComposeMerger
{
    public static ComposeFileDraft Merge(IReadOnlyList<ComposeFileDraft> files)
    {
        var merged = files[0];
        foreach (var overlay in files.Skip(1))
        {
            merged.Name = overlay.Name ?? merged.Name;
            foreach (var (name, service) in overlay.Services)
            {
                if (merged.Services.TryGetValue(name, out var existing))
                {
                    MergeService(existing, service);
                }
                else
                {
                    merged.Services[name] = service;
                }
            }

            MergeResources(merged.Networks, overlay.Networks);
            MergeResources(merged.Volumes, overlay.Volumes);
            // A later file's definition of a secret or config replaces the earlier one as a whole: its
            // source is one of file, environment or content, which do not mix.
            Overlay(merged.Secrets, overlay.Secrets);
            Overlay(merged.Configs, overlay.Configs);
        }

        return merged;
    }

    private static void MergeResources(Dictionary<string, ResourceDraft> into, Dictionary<string, ResourceDraft> overlay)
    {
        foreach (var (key, resource) in overlay)
        {
            if (!into.TryGetValue(key, out var existing))
            {
                into[key] = resource;
                continue;
            }

            existing.External = resource.External ?? existing.External;
            existing.Name = resource.Name ?? existing.Name;
            existing.Driver = resource.Driver ?? existing.Driver;
            existing.Internal = resource.Internal ?? existing.Internal;
            existing.EnableIpv6 = resource.EnableIpv6 ?? existing.EnableIpv6;
            existing.Ipam = resource.Ipam ?? existing.Ipam;
            Overlay(existing.DriverOptions, resource.DriverOptions);
            Overlay(existing.Labels, resource.Labels);
        }
    }

    /// <summary>Overlays <paramref name="overlay"/> on <paramref name="into"/> (also how `extends:` builds a service on its base).</summary>
    public static void MergeService(ServiceDraft into, ServiceDraft overlay)
    {
        into.Image = overlay.Image ?? into.Image;
        into.ImageOrBuildWritten |= overlay.ImageOrBuildWritten;
        into.ExtendsFailed |= overlay.ExtendsFailed;
        into.Command = overlay.Command ?? into.Command;
        into.Entrypoint = overlay.Entrypoint ?? into.Entrypoint;
        into.EnvFileValues.AddRange(overlay.EnvFileValues);
        Overlay(into.Environment, overlay.Environment);
        Overlay(into.Labels, overlay.Labels);
        into.ContainerName = overlay.ContainerName ?? into.ContainerName;
        AppendDistinct(into.Ports, overlay.Ports, port => port.Value);
        AppendDistinct(into.Expose, overlay.Expose, port => port);
        Overlay(into.Mounts, overlay.Mounts);
        Overlay(into.SecretReferences, overlay.SecretReferences);
        Overlay(into.ConfigReferences, overlay.ConfigReferences);
        if (overlay.Networks is not null)
        {
            into.Networks ??= new Dictionary<string, NetworkAttachmentDraft>(StringComparer.Ordinal);
            Overlay(into.Networks, overlay.Networks);
        }

        into.NetworkMode = overlay.NetworkMode ?? into.NetworkMode;
        if (overlay.HealthCheck is { } health)
        {
            var intoHealth = into.HealthCheck ??= new HealthCheckDraft();
            intoHealth.Test = health.Test ?? intoHealth.Test;
            intoHealth.Disable = health.Disable ?? intoHealth.Disable;
            intoHealth.Interval = health.Interval ?? intoHealth.Interval;
            intoHealth.Timeout = health.Timeout ?? intoHealth.Timeout;
            intoHealth.StartPeriod = health.StartPeriod ?? intoHealth.StartPeriod;
            intoHealth.StartInterval = health.StartInterval ?? intoHealth.StartInterval;
            intoHealth.Retries = health.Retries ?? intoHealth.Retries;
        }

        into.Restart = overlay.Restart ?? into.Restart;
        into.CpuLimit = overlay.CpuLimit ?? into.CpuLimit;
        into.MemoryLimit = overlay.MemoryLimit ?? into.MemoryLimit;
        into.PidsLimit = overlay.PidsLimit ?? into.PidsLimit;
        into.ServiceCpus = overlay.ServiceCpus ?? into.ServiceCpus;
        into.ServiceMemLimit = overlay.ServiceMemLimit ?? into.ServiceMemLimit;
        into.ServicePidsLimit = overlay.ServicePidsLimit ?? into.ServicePidsLimit;
        into.ServiceMemReservation = overlay.ServiceMemReservation ?? into.ServiceMemReservation;
        into.MemoryReservation = overlay.MemoryReservation ?? into.MemoryReservation;
        into.MemswapLimit = overlay.MemswapLimit ?? into.MemswapLimit;
        into.CpuShares = overlay.CpuShares ?? into.CpuShares;
        into.DeployRestart = overlay.DeployRestart ?? into.DeployRestart;
        into.StdinOpen = overlay.StdinOpen ?? into.StdinOpen;
        into.Tty = overlay.Tty ?? into.Tty;
        into.GroupAdd = overlay.GroupAdd ?? into.GroupAdd;
        into.DnsSearch = overlay.DnsSearch ?? into.DnsSearch;
        into.DnsOpt = overlay.DnsOpt ?? into.DnsOpt;
        into.Runtime = overlay.Runtime ?? into.Runtime;
        into.Platform = overlay.Platform ?? into.Platform;
        into.User = overlay.User ?? into.User;
        into.WorkingDir = overlay.WorkingDir ?? into.WorkingDir;
        into.Hostname = overlay.Hostname ?? into.Hostname;
        into.StopSignal = overlay.StopSignal ?? into.StopSignal;
        into.StopGracePeriod = overlay.StopGracePeriod ?? into.StopGracePeriod;
        into.Init = overlay.Init ?? into.Init;
        into.ReadOnly = overlay.ReadOnly ?? into.ReadOnly;
        into.Privileged = overlay.Privileged ?? into.Privileged;
        AppendDistinct(into.CapAdd, overlay.CapAdd, value => value);
        AppendDistinct(into.CapDrop, overlay.CapDrop, value => value);
        AppendDistinct(into.ExtraHosts, overlay.ExtraHosts, value => value);
        into.Dns = overlay.Dns ?? into.Dns;
        Overlay(into.Sysctls, overlay.Sysctls);
        Overlay(into.Ulimits, overlay.Ulimits);
        if (overlay.LoggingDriver is not null && overlay.LoggingDriver != into.LoggingDriver)
        {
            // Another driver: the earlier driver's options mean nothing to it.
            into.LoggingOptions = null;
        }

        into.LoggingDriver = overlay.LoggingDriver ?? into.LoggingDriver;
        if (overlay.LoggingOptions is not null)
        {
            into.LoggingOptions ??= new Dictionary<string, string>(StringComparer.Ordinal);
            Overlay(into.LoggingOptions, overlay.LoggingOptions);
        }

        AppendDistinct(into.Tmpfs, overlay.Tmpfs, value => value);
        into.ShmSize = overlay.ShmSize ?? into.ShmSize;
        AppendDistinct(into.Devices, overlay.Devices, value => value);
        AppendDistinct(into.SecurityOpt, overlay.SecurityOpt, value => value);
        into.Replicas = overlay.Replicas ?? into.Replicas;
        MergeRollout(into.Update, overlay.Update);
        MergeRollout(into.Rollback, overlay.Rollback);
        Overlay(into.DependsOn, overlay.DependsOn);
        AppendDistinct(into.Profiles, overlay.Profiles, profile => profile.Value);
        into.Placement = overlay.Placement ?? into.Placement;
        AppendDistinct(into.Links, overlay.Links, link => link.Value);
        into.PullPolicy = overlay.PullPolicy ?? into.PullPolicy;
        into.Drain = overlay.Drain ?? into.Drain;
        into.JobTimeout = overlay.JobTimeout ?? into.JobTimeout;
        into.Front = overlay.Front ?? into.Front;
        Overlay(into.PolicyPositions, overlay.PolicyPositions);
    }

    private static void MergeRollout(RolloutDraft into, RolloutDraft overlay)
    {
        into.Parallelism = overlay.Parallelism ?? into.Parallelism;
        into.Delay = overlay.Delay ?? into.Delay;
        into.FailureAction = overlay.FailureAction ?? into.FailureAction;
        into.Monitor = overlay.Monitor ?? into.Monitor;
        into.MaxFailureRatio = overlay.MaxFailureRatio ?? into.MaxFailureRatio;
        into.Order = overlay.Order ?? into.Order;
    }

    private static void Overlay<TValue>(Dictionary<string, TValue> into, Dictionary<string, TValue> overlay)
    {
        foreach (var (key, value) in overlay)
        {
            into[key] = value;
        }
    }

    private static void AppendDistinct<TItem, TKey>(List<TItem> into, List<TItem> overlay, Func<TItem, TKey> key)
    {
        var seen = into.Select(key).ToHashSet();
        into.AddRange(overlay.Where(item => seen.Add(key(item))));
    }
}
