using System.Diagnostics;
using System.Text.Json;
using Berth.Reconciler.Spec;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Berth.Tests.ComposeEquivalence;

/// <summary>
/// The same Compose files deployed by Debian's docker-compose and by berth, side by side on the real
/// engine, and what the engine then holds compared field by field: each container's configuration
/// (from its inspect: config, host config, mounts, networks), and each network's and volume's. "berth
/// deploys a Compose file as docker compose would" is this test. Each case under cases/ exercises a
/// group of Compose features; a case's README line says which.
/// </summary>
/// <remarks>
/// Left out of the comparison, because they differ by design and are not configuration: names (each
/// tool names after its own project), the tools' own labels (com.docker.compose.*, io.berth.*), ids and
/// timestamps, and the aliases each tool adds besides the service's name (compose 1.29 adds the
/// container's short id). Every other difference fails the test with both values.
/// </remarks>
public sealed class ComposeEquivalenceTests
{
    public static TheoryData<string> Cases() => [.. Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "ComposeEquivalence", "cases")).Select(directory => Path.GetFileName(directory)!).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SameFiles_SameEngineState(string caseName)
    {
        // berth writes secrets to a tmpfs (/run is no tmpfs on every test machine; /dev/shm is); the
        // directory is removed after the harness has removed the containers that bind its files.
        var filesRoot = Path.Combine("/dev/shm", "berth-test-files-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var harness = new ReconcileHarness(Berth.Reconciler.Secrets.Files.MountedFileStore.Open(filesRoot));
            await CompareAsync(harness, caseName);
        }
        finally
        {
            if (Directory.Exists(filesRoot))
            {
                Directory.Delete(filesRoot, recursive: true);
            }
        }
    }

    private static async Task CompareAsync(ReconcileHarness harness, string caseName)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "ComposeEquivalence", "cases", caseName);
        // docker compose names after its project; "c" + the scope id keeps it unique and sweepable.
        var composeProject = "c" + harness.Scope.ScopeId;
        var berthStack = harness.StackName;
        using var composeDirectory = TestRepository.Empty("compose-" + harness.Scope.ScopeId);
        using var repository = TestRepository.Empty(harness.Host);
        CopyCase(source, composeDirectory.Directory);
        CopyCase(source, Path.Combine(repository.Directory, "stack"));
        // A case that declares subnets takes them from NET ("10.X.Y"): each tool gets its own, or the
        // second network would overlap the first; compared as "<net>".
        var (composeNet, berthNet) = (SubnetPrefix(), SubnetPrefix());
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{ vars: {{ NET: \"{berthNet}\" }} }}\nstacks:\n  {berthStack}:\n    compose: stack/compose.yaml\n    hosts: [{harness.Host}]\n");
        try
        {
            await RunComposeAsync(composeDirectory.Directory, composeProject, composeNet, "up", "-d", "--no-build");
            var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host);
            Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
            await harness.ApplyConvergedAsync(loaded.State!);

            var byCompose = await EngineStateAsync(harness, "com.docker.compose.project=" + composeProject, composeProject, composeDirectory.Directory, composeNet);
            var byBerth = await EngineStateAsync(harness, "io.berth.stack=" + berthStack, berthStack, Path.Combine(repository.Directory, "stack"), berthNet);

            Assert.NotEmpty(byCompose);
            var differences = byCompose.Keys.Union(byBerth.Keys).Order(StringComparer.Ordinal)
                .Where(key => byCompose.GetValueOrDefault(key) != byBerth.GetValueOrDefault(key))
                .Select(key => $"{key}\n    compose: {byCompose.GetValueOrDefault(key) ?? "(absent)"}\n    berth:   {byBerth.GetValueOrDefault(key) ?? "(absent)"}")
                .ToList();
            Assert.True(differences.Count == 0, $"case {caseName}: {differences.Count} fields differ\n" + string.Join("\n", differences));
        }
        finally
        {
            await harness.Scope.RemoveByLabelAsync("com.docker.compose.project=" + composeProject);
        }
    }

    private static void CopyCase(string source, string target)
    {
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    private static string SubnetPrefix() => $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 256)}";

    private static async Task RunComposeAsync(string directory, string project, string net, params string[] arguments)
    {
        var start = new ProcessStartInfo("docker-compose")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["--ansi", "never", "-p", project, "-f", "compose.yaml", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("COMPOSE_PROFILES");
        start.Environment["NET"] = net;
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"docker-compose {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    /// <summary>
    /// What the engine holds for one project, as "what.field" → canonical JSON, with the project's name
    /// and directory replaced by placeholders so that the two tools' resources compare.
    /// </summary>
    private static async Task<SortedDictionary<string, string>> EngineStateAsync(ReconcileHarness harness, string label, string project, string directory, string net)
    {
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string Normalise(string json) => json.Replace(directory, "<dir>", StringComparison.Ordinal).Replace(project, "<project>", StringComparison.Ordinal).Replace(net + ".", "<net>.", StringComparison.Ordinal);
        // An empty list and no list are the same to the engine (compose 1.29 sends null, berth []).
        void Add(string key, object? value) =>
            state[key] = value is System.Collections.IEnumerable items and not string && !items.Cast<object>().Any()
                ? "null"
                : Normalise(JsonSerializer.Serialize(value));

        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } };
        foreach (var listed in await harness.Client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }))
        {
            var container = await harness.Client.Containers.InspectContainerAsync(listed.ID);
            // compose 1.29: <project>_<service>_<n>; berth: <stack>-<service>-<n>.
            var name = Normalise(container.Name.TrimStart('/')).Replace("<project>_", "", StringComparison.Ordinal).Replace("<project>-", "", StringComparison.Ordinal).Replace('_', '-');
            var service = container.Config.Labels.TryGetValue("com.docker.compose.service", out var composeService) ? composeService : container.Config.Labels["io.berth.service"];
            var config = container.Config;
            var host = container.HostConfig;
            Add($"{name}.Image", config.Image);
            Add($"{name}.Cmd", config.Cmd);
            Add($"{name}.Entrypoint", config.Entrypoint);
            Add($"{name}.Env", config.Env?.Order(StringComparer.Ordinal));
            Add($"{name}.User", config.User);
            Add($"{name}.WorkingDir", config.WorkingDir);
            Add($"{name}.ExposedPorts", config.ExposedPorts?.Keys.Order(StringComparer.Ordinal));
            Add($"{name}.StopSignal", config.StopSignal);
            Add($"{name}.StopTimeout", config.StopTimeout);
            // berth writes the engine's defaults (30s interval and timeout, 3 retries) where compose leaves them unset: the same check.
            Add($"{name}.Healthcheck", config.Healthcheck is { } check
                ? new { check.Test, Interval = check.Interval ?? TimeSpan.FromSeconds(30), Timeout = check.Timeout ?? TimeSpan.FromSeconds(30), StartPeriod = check.StartPeriod ?? TimeSpan.Zero, Retries = check.Retries is null or 0 ? 3 : check.Retries }
                : null);
            Add($"{name}.Tty", config.Tty);
            Add($"{name}.OpenStdin", config.OpenStdin);
            Add($"{name}.Labels", config.Labels.Where(entry => !IsToolLabel(entry.Key)).OrderBy(entry => entry.Key, StringComparer.Ordinal));
            Add($"{name}.PortBindings", host.PortBindings?.OrderBy(entry => entry.Key, StringComparer.Ordinal));
            // No policy and "no" are the same to the engine (compose 1.29 sends none, berth "no").
            Add($"{name}.RestartPolicy", host.RestartPolicy is { Name: RestartPolicyKind.Undefined or RestartPolicyKind.No } policy
                ? $"no:{policy.MaximumRetryCount}"
                : host.RestartPolicy);
            Add($"{name}.CapAdd", host.CapAdd?.Order(StringComparer.Ordinal));
            Add($"{name}.CapDrop", host.CapDrop?.Order(StringComparer.Ordinal));
            Add($"{name}.Dns", host.DNS);
            Add($"{name}.DnsOptions", host.DNSOptions);
            Add($"{name}.DnsSearch", host.DNSSearch);
            Add($"{name}.ExtraHosts", host.ExtraHosts?.Order(StringComparer.Ordinal));
            Add($"{name}.GroupAdd", host.GroupAdd?.Order(StringComparer.Ordinal));
            Add($"{name}.Init", host.Init);
            Add($"{name}.Privileged", host.Privileged);
            Add($"{name}.ReadonlyRootfs", host.ReadonlyRootfs);
            Add($"{name}.SecurityOpt", host.SecurityOpt?.Order(StringComparer.Ordinal));
            Add($"{name}.Tmpfs", host.Tmpfs?.OrderBy(entry => entry.Key, StringComparer.Ordinal));
            Add($"{name}.ShmSize", host.ShmSize);
            Add($"{name}.Sysctls", host.Sysctls?.OrderBy(entry => entry.Key, StringComparer.Ordinal));
            Add($"{name}.Ulimits", host.Ulimits?.OrderBy(limit => limit.Name, StringComparer.Ordinal));
            Add($"{name}.Memory", host.Memory);
            Add($"{name}.MemoryReservation", host.MemoryReservation);
            Add($"{name}.MemorySwap", host.MemorySwap);
            Add($"{name}.NanoCpus", host.NanoCPUs);
            Add($"{name}.CpuShares", host.CPUShares);
            Add($"{name}.PidsLimit", host.PidsLimit);
            Add($"{name}.LogConfig", host.LogConfig);
            Add($"{name}.Devices", host.Devices);
            Add($"{name}.Runtime", host.Runtime);
            // A bind of a single file is a secret: compose 1.29 binds the project's file, berth a copy on
            // its tmpfs (by design, so the value never sits in the live repository directory). Compared
            // by target, read-only flag and the content the container reads there instead of the source.
            var fileBinds = container.Mounts.Where(mount => mount.Type == "bind" && File.Exists(mount.Source)).Select(mount => mount.Destination).ToHashSet(StringComparer.Ordinal);
            Add($"{name}.Mounts", container.Mounts
                .Select(mount => new
                {
                    mount.Type,
                    Source = mount.Type == "volume" ? mount.Name : fileBinds.Contains(mount.Destination) ? "<file>" : mount.Source,
                    mount.Destination,
                    mount.RW,
                    mount.Propagation,
                    // A bind's SELinux relabel (z/Z) is kept only in its mode; the rest of the mode differs by
                    // form (compose writes Binds, whose mode says "rw"; berth mostly Mounts, whose mode is
                    // empty) and consistency hints (cached, delegated) are no-ops on Linux. A volume's mode
                    // says "z" when created as a Mount, whichever tool: binds only.
                    Relabel = mount.Type == "bind" ? mount.Mode?.Split(',').Where(option => option is "z" or "Z").ToList() : null,
                })
                .OrderBy(mount => mount.Destination, StringComparer.Ordinal));
            foreach (var target in fileBinds.Order(StringComparer.Ordinal))
            {
                Add($"{name}.File {target}", await harness.ExecAsync(container.ID, "cat", target));
            }

            Add($"{name}.Networks", container.NetworkSettings.Networks
                .OrderBy(entry => entry.Key, StringComparer.Ordinal)
                .Select(entry => new
                {
                    Network = entry.Key,
                    entry.Value.IPAMConfig,
                    ServiceAliased = entry.Value.Aliases?.Contains(service) == true,
                }));
        }

        foreach (var network in await harness.Client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }))
        {
            var key = "network " + Normalise(network.Name);
            Add($"{key}.Driver", network.Driver);
            Add($"{key}.Internal", network.Internal);
            Add($"{key}.EnableIPv6", network.EnableIPv6);
            Add($"{key}.Options", network.Options?.OrderBy(entry => entry.Key, StringComparer.Ordinal));
            Add($"{key}.Labels", network.Labels?.Where(entry => !IsToolLabel(entry.Key)).OrderBy(entry => entry.Key, StringComparer.Ordinal));
            // Subnets the engine chose itself (from its default pools, 172.17-31.x and 192.168.x) differ
            // from run to run; the cases declare theirs in 10.x, and those must match.
            Add($"{key}.Subnets", network.IPAM?.Config?.Select(pool => pool.Subnet).Where(subnet => subnet?.StartsWith("10.", StringComparison.Ordinal) == true || subnet?.StartsWith("fd", StringComparison.Ordinal) == true));
        }

        foreach (var volume in (await harness.Client.Volumes.ListAsync(new VolumesListParameters { Filters = filter })).Volumes ?? [])
        {
            var key = "volume " + Normalise(volume.Name);
            Add($"{key}.Driver", volume.Driver);
            Add($"{key}.Options", volume.Options?.OrderBy(entry => entry.Key, StringComparer.Ordinal));
            Add($"{key}.Labels", volume.Labels?.Where(entry => !IsToolLabel(entry.Key)).OrderBy(entry => entry.Key, StringComparer.Ordinal));
        }

        return state;
    }

    private static bool IsToolLabel(string key) =>
        key.StartsWith("com.docker.compose.", StringComparison.Ordinal) || key.StartsWith("io.berth.", StringComparison.Ordinal) || key == DockerTestScope.TestRunLabel;
}
