using System.Collections.Immutable;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Shared;

/// <summary>
/// Builds desired-state models in code, with Docker's defaults, so planner and engine tests do not
/// depend on the YAML loader. Vary a spec with `with` (its hashes follow its content) or the helpers.
/// </summary>
public static class TestSpecs
{
    public const string Image = "berth-test/busybox:1";

    public static readonly ImmutableSortedDictionary<string, string> NoEntries =
        ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>A sorted map for labels, driver options or environment in test specs.</summary>
    public static ImmutableSortedDictionary<string, string> Entries(params (string Key, string Value)[] entries) =>
        NoEntries.SetItems(entries.Select(entry => KeyValuePair.Create(entry.Key, entry.Value)));

    public static ContainerSpec Container(string image = Image, params string[] command) => new(
        Image: image,
        Entrypoint: null,
        Command: command.Length == 0 ? ["sleep", "3600"] : [.. command],
        Environment: NoEntries,
        Labels: NoEntries,
        ContainerName: null,
        Ports: [],
        Expose: [],
        Mounts: [],
        Networks: [],
        NetworkMode: null,
        HealthCheck: null,
        Restart: "no",
        Limits: ResourceLimits.None,
        User: null,
        WorkingDir: null,
        Hostname: null,
        StopSignal: null,
        StopGracePeriod: TimeSpan.FromSeconds(2),
        Init: true,
        ReadOnly: false,
        CapAdd: [],
        CapDrop: [],
        Privileged: false,
        ExtraHosts: [],
        Dns: [],
        Sysctls: NoEntries,
        Ulimits: [],
        Logging: null,
        Tmpfs: [],
        ShmSizeBytes: null,
        Devices: [],
        SecurityOpt: []);

    /// <summary>An HTTP server on 8080 serving /www, with a fast health check.</summary>
    public static ContainerSpec WebContainer(string image = Image) => Container(image, "httpd", "-f", "-p", "8080", "-h", "/www") with
    {
        HealthCheck = FastHealthCheck("timeout 2 wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1"),
    };

    public static HealthCheckSpec FastHealthCheck(string shellCommand) => new(
        ["CMD-SHELL", shellCommand], TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.FromMilliseconds(500), 3);

    /// <summary>Short monitor windows keep engine tests fast; the behaviour is the same.</summary>
    public static readonly RolloutPolicy FastUpdate = RolloutPolicy.DefaultUpdate with { Monitor = TimeSpan.FromMilliseconds(500) };

    public static readonly RolloutPolicy FastRollback = RolloutPolicy.DefaultRollback with { Monitor = TimeSpan.FromMilliseconds(500) };

    public static ServiceSpec Service(string stack, string name, ContainerSpec container, int replicas = 1, params ServiceDependency[] dependsOn) =>
        new(stack, name, replicas, container, FastUpdate, FastRollback, [.. dependsOn.OrderBy(dependency => dependency.Service, StringComparer.Ordinal)], PullPolicy.Missing);

    /// <summary>Puts a front before the service (x-berth.front).</summary>
    public static ServiceSpec Fronted(this ServiceSpec service) => service with { Front = true };

    public static ServiceSpec WithContainer(this ServiceSpec service, Func<ContainerSpec, ContainerSpec> change) =>
        service with { Container = change(service.Container) };

    public static ServiceSpec WithEnvironment(this ServiceSpec service, string key, string value) =>
        service.WithContainer(container => container with { Environment = container.Environment.SetItem(key, value) });

    public static ServiceSpec OnNetwork(this ServiceSpec service, NetworkSpec network, params string[] aliases) =>
        service.WithContainer(container => container with
        {
            Networks = [.. container.Networks, new ServiceNetwork(network.Key, network.EngineName, [.. aliases.Order(StringComparer.Ordinal)])],
        });

    public static ServiceSpec WithVolume(this ServiceSpec service, VolumeSpec volume, string target) =>
        service.WithContainer(container => container with
        {
            Mounts = [.. container.Mounts, new MountSpec(MountType.Volume, volume.EngineName, target, false, volume.Key)],
        });

    public static NetworkSpec Network(string stack, string key) =>
        new(key, $"{stack}_{key}", false, "bridge", NoEntries, NoEntries, false);

    public static VolumeSpec Volume(string stack, string key) =>
        new(key, $"{stack}_{key}", false, "local", NoEntries, NoEntries);

    public static StackSpec Stack(string name, IEnumerable<ServiceSpec> services, IEnumerable<NetworkSpec>? networks = null, IEnumerable<VolumeSpec>? volumes = null) => new(
        name,
        ["compose.yaml"],
        [.. services.OrderBy(service => service.Name, StringComparer.Ordinal)],
        [.. (networks ?? []).OrderBy(network => network.EngineName, StringComparer.Ordinal)],
        [.. (volumes ?? []).OrderBy(volume => volume.EngineName, StringComparer.Ordinal)]);

    public static DesiredState Desired(string host, params StackSpec[] stacks) =>
        new(host, [.. stacks.OrderBy(stack => stack.Name, StringComparer.Ordinal)], RepositorySettings.Default);
}
