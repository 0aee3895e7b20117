using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Engine;

/// <summary>
/// CreateParametersMapper against the real engine: a Compose file goes through the spec loader and a
/// reconcile, and `docker inspect` (or the running process) shows each field arrived as the engine's value.
/// </summary>
public sealed class CreateParametersTests
{
    [Fact]
    public async Task Apply_ServiceUsingMostComposeFields_EveryFieldArrivesAtTheEngine()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        var desired = Load(repository, harness, """
            services:
              app:
                image: berth-test/busybox:1
                entrypoint: ["sh", "-c"]
                command: ["echo started; exec sleep 3600"]
                environment:
                  GREETING: hello world
                  EMPTY: ""
                labels:
                  com.example.team: ops
                ports:
                  - "127.0.0.1::8080"
                  - "${BIND_ADDRESS:-}::8081"
                  - target: 5353
                    protocol: udp
                expose: ["9000"]
                volumes:
                  - named:/named
                  - type: tmpfs
                    target: /fast
                    tmpfs: { size: 2m }
                tmpfs: ["/scratch:size=1m"]
                networks:
                  backend:
                    aliases: [app-alias]
                healthcheck:
                  test: ["CMD", "true"]
                  interval: 1s
                  timeout: 2s
                  retries: 4
                  start_period: 3s
                restart: on-failure:3
                deploy:
                  resources:
                    limits: { cpus: 0.5, memory: 64m, pids: 50 }
                user: "1000:1000"
                working_dir: /tmp
                hostname: berth-app
                stop_signal: SIGUSR1
                stop_grace_period: 7s
                init: true
                read_only: true
                cap_add: [SYS_TIME]
                cap_drop: [NET_RAW]
                extra_hosts: ["berth.test:10.9.8.7"]
                dns: [10.9.8.53]
                sysctls:
                  net.ipv4.ip_unprivileged_port_start: "1024"
                ulimits:
                  nofile: { soft: 1024, hard: 2048 }
                logging:
                  driver: json-file
                  options: { max-size: 1m, max-file: "2" }
                shm_size: 32m
                devices: ["/dev/null:/dev/berth-null:r"]
                security_opt: ["no-new-privileges:true"]
            networks:
              backend: {}
            volumes:
              named: {}
            """);

        await harness.ApplyConvergedAsync(desired);

        var name = $"{stack}-app-1";
        var app = await harness.InspectAsync(name);
        var config = app.Config;
        var host = app.HostConfig;
        Assert.True(app.State.Running);
        Assert.Equal("healthy", app.State.Health.Status);

        Assert.Equal(["sh", "-c"], config.Entrypoint);
        Assert.Equal(["echo started; exec sleep 3600"], config.Cmd);
        Assert.Contains("GREETING=hello world", config.Env);
        Assert.Contains("EMPTY=", config.Env);
        Assert.Equal("ops", config.Labels["com.example.team"]);

        Assert.Equal(["5353/udp", "8080/tcp", "8081/tcp", "9000/tcp"], config.ExposedPorts.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("127.0.0.1", host.PortBindings["8080/tcp"].Single().HostIP);

        // An empty host address is sent as Compose sends it, HostIP "": all addresses, an ephemeral host port.
        Assert.Equal("", host.PortBindings["8081/tcp"].Single().HostIP);
        Assert.NotEmpty(app.NetworkSettings.Ports["8081/tcp"]);
        Assert.False(string.IsNullOrEmpty(app.NetworkSettings.Ports["8080/tcp"].Single().HostPort), "the engine picked no host port for 8080/tcp");
        Assert.NotNull(app.NetworkSettings.Ports["5353/udp"]);

        var named = app.Mounts.Single(mount => mount.Destination == "/named");
        Assert.Equal(("volume", $"{stack}_named", true), (named.Type, named.Name, named.RW));
        var fast = host.Mounts!.Single(mount => mount.Target == "/fast");
        Assert.Equal(("tmpfs", 2L * 1024 * 1024), (fast.Type, fast.TmpfsOptions.SizeBytes));
        Assert.Equal("size=1m", host.Tmpfs["/scratch"]);

        var endpoint = app.NetworkSettings.Networks[$"{stack}_backend"];
        Assert.Contains("app-alias", endpoint.Aliases);
        Assert.Contains("app", endpoint.Aliases);

        Assert.Equal(["CMD", "true"], config.Healthcheck.Test);
        Assert.Equal(TimeSpan.FromSeconds(1), config.Healthcheck.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), config.Healthcheck.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(3), config.Healthcheck.StartPeriod);
        Assert.Equal(4, config.Healthcheck.Retries);

        Assert.Equal(Docker.DotNet.Models.RestartPolicyKind.OnFailure, host.RestartPolicy.Name);
        Assert.Equal(3, host.RestartPolicy.MaximumRetryCount);
        Assert.Equal(500_000_000, host.NanoCPUs);
        Assert.Equal(64L * 1024 * 1024, host.Memory);
        Assert.Equal(50, host.PidsLimit);

        Assert.Equal("1000:1000", config.User);
        Assert.Equal("/tmp", config.WorkingDir);
        Assert.Equal("berth-app", config.Hostname);
        Assert.Equal("SIGUSR1", config.StopSignal);
        Assert.Equal(TimeSpan.FromSeconds(7), config.StopTimeout);
        Assert.True(host.Init);
        Assert.True(host.ReadonlyRootfs);
        Assert.Contains("CAP_SYS_TIME", host.CapAdd.Select(Capability));
        Assert.Contains("CAP_NET_RAW", host.CapDrop.Select(Capability));
        Assert.Contains("berth.test:10.9.8.7", host.ExtraHosts);
        Assert.Equal(["10.9.8.53"], host.DNS);
        Assert.Equal("1024", host.Sysctls["net.ipv4.ip_unprivileged_port_start"]);
        var nofile = host.Ulimits.Single(limit => limit.Name == "nofile");
        Assert.Equal((1024L, 2048L), (nofile.Soft, nofile.Hard));
        Assert.Equal("json-file", host.LogConfig.Type);
        Assert.Equal("1m", host.LogConfig.Config["max-size"]);
        Assert.Equal("2", host.LogConfig.Config["max-file"]);
        Assert.Equal(32L * 1024 * 1024, host.ShmSize);
        var device = host.Devices.Single();
        Assert.Equal(("/dev/null", "/dev/berth-null", "r"), (device.PathOnHost, device.PathInContainer, device.CgroupPermissions));
        Assert.Contains("no-new-privileges:true", host.SecurityOpt);

        // What the process inside sees, for the fields where the inspect value alone proves little.
        Assert.Equal("1000", (await harness.ExecAsync(name, "id", "-u")).Trim());
        // The container's own process (PID 1), not an exec'd shell: on a freshly installed engine an exec
        // gets the hard limit as its soft limit, while the service's process gets exactly what berth set.
        Assert.Matches(@"^Max open files\s+1024\s+2048\s+files\s*$",
            (await harness.ExecAsync(name, "grep", "Max open files", "/proc/1/limits")).Trim());
        Assert.Equal("read-only", (await harness.ExecAsync(name, "sh", "-c", "touch /probe 2>/dev/null && echo writable || echo read-only")).Trim());
        Assert.Equal("writable", (await harness.ExecAsync(name, "sh", "-c", "touch /scratch/probe && echo writable")).Trim());
        Assert.Contains("10.9.8.7\tberth.test", await harness.ExecAsync(name, "cat", "/etc/hosts"), StringComparison.Ordinal);
        Assert.Equal("1024", (await harness.ExecAsync(name, "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start")).Trim());
        Assert.Equal("/dev/berth-null", (await harness.ExecAsync(name, "ls", "/dev/berth-null")).Trim());
    }

    /// <summary>
    /// The keys of issue 17 as `docker inspect` shows them; the expected values are what docker compose
    /// 1.29.2 produced for the same file on Docker 20.10 (compared by hand, field by field, when the keys were
    /// added; the only difference, an empty list where compose sends none, changes nothing in the container).
    /// </summary>
    [Fact]
    public async Task Apply_ServiceUsingRuntimeAndResourceKeys_EveryFieldArrivesAtTheEngine()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        var desired = Load(repository, harness, """
            services:
              app:
                image: berth-test/busybox:1
                command: ["sleep", "3600"]
                init: true
                stdin_open: true
                tty: true
                cpus: 0.5
                mem_limit: 64m
                memswap_limit: 128m
                mem_reservation: 32m
                cpu_shares: 512
                pids_limit: 40
                group_add: ["1234", "2345"]
                dns_search: [b.example, a.example]
                dns_opt: ["ndots:2", "timeout:3"]
                runtime: runc
                volumes:
                  - ./data:/data:ro,z
                deploy:
                  restart_policy: { condition: on-failure, max_attempts: 2 }
              reserved:
                image: berth-test/busybox:1
                command: ["sleep", "3600"]
                init: true
                restart: "no"
                deploy:
                  restart_policy: { condition: any }
                  resources:
                    limits: { memory: 96m }
                    reservations: { memory: 48m }
            """);

        await harness.ApplyConvergedAsync(desired);

        var app = await harness.InspectAsync($"{stack}-app-1");
        var host = app.HostConfig;
        Assert.True(app.State.Running);
        Assert.True(app.Config.OpenStdin);
        Assert.True(app.Config.Tty);
        Assert.Equal(500_000_000, host.NanoCPUs);
        Assert.Equal(64L * 1024 * 1024, host.Memory);
        Assert.Equal(128L * 1024 * 1024, host.MemorySwap);
        Assert.Equal(32L * 1024 * 1024, host.MemoryReservation);
        Assert.Equal(512, host.CPUShares);
        Assert.Equal(40, host.PidsLimit);
        Assert.Equal(["1234", "2345"], host.GroupAdd);
        Assert.Equal(["b.example", "a.example"], host.DNSSearch);
        Assert.Equal(["ndots:2", "timeout:3"], host.DNSOptions);
        Assert.Equal("runc", host.Runtime);
        Assert.Equal(Docker.DotNet.Models.RestartPolicyKind.OnFailure, host.RestartPolicy.Name);
        Assert.Equal(2, host.RestartPolicy.MaximumRetryCount);
        var data = app.Mounts.Single(mount => mount.Destination == "/data");
        Assert.Equal(("bind", "ro,z", false), (data.Type, data.Mode, data.RW));

        // The process sees them too: its groups, and the resolver configuration the engine wrote.
        var groups = (await harness.ExecAsync($"{stack}-app-1", "sh", "-c", "cat /proc/self/status | grep ^Groups")).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("1234", groups);
        Assert.Contains("2345", groups);
        var resolver = await harness.ExecAsync($"{stack}-app-1", "cat", "/etc/resolv.conf");
        Assert.Contains("search b.example a.example", resolver, StringComparison.Ordinal);
        Assert.Contains("options ndots:2 timeout:3", resolver, StringComparison.Ordinal);

        var reserved = await harness.InspectAsync($"{stack}-reserved-1");
        Assert.Equal(96L * 1024 * 1024, reserved.HostConfig.Memory);
        Assert.Equal(48L * 1024 * 1024, reserved.HostConfig.MemoryReservation);
        // deploy.restart_policy wins over restart, as in docker compose.
        Assert.Equal(Docker.DotNet.Models.RestartPolicyKind.Always, reserved.HostConfig.RestartPolicy.Name);
        Assert.Equal(0, reserved.HostConfig.RestartPolicy.MaximumRetryCount);
        Assert.False(reserved.Config.OpenStdin);
        Assert.False(reserved.Config.Tty);
    }

    [Fact]
    public async Task Apply_BindsToMissingHostDirectories_CreatesThemAndMountsReadOnlyWhereAsked()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var absolute = Path.Combine(Path.GetTempPath(), "berth-bind-" + harness.Host);
        try
        {
            var desired = Load(repository, harness, $"""
                services:
                  app:
                    image: berth-test/busybox:1
                    command: ["sleep", "3600"]
                    volumes:
                      - ./data/relative:/relative
                      - {absolute}/nested/absolute:/absolute:ro
                      - type: bind
                        source: ./data/long
                        target: /long
                        bind: {"{"} create_host_path: true {"}"}
                """);

            // Docker 20.10 (API 1.41) has no BindOptions.CreateMountpoint: this is what failed there before.
            await harness.ApplyConvergedAsync(desired);

            var composeDirectory = Path.Combine(repository.Directory, "stacks", harness.StackName);
            Assert.True(Directory.Exists(Path.Combine(composeDirectory, "data", "relative")));
            Assert.True(Directory.Exists(Path.Combine(composeDirectory, "data", "long")));
            Assert.True(Directory.Exists(Path.Combine(absolute, "nested", "absolute")));

            var name = $"{harness.StackName}-app-1";
            Assert.Equal("ok", (await harness.ExecAsync(name, "sh", "-c", "echo from-container > /relative/file && echo ok")).Trim());
            Assert.Equal("from-container\n", File.ReadAllText(Path.Combine(composeDirectory, "data", "relative", "file")));
            Assert.Equal("read-only", (await harness.ExecAsync(name, "sh", "-c", "touch /absolute/file 2>/dev/null && echo writable || echo read-only")).Trim());
            var mounts = (await harness.InspectAsync(name)).Mounts.ToDictionary(mount => mount.Destination);
            Assert.False(mounts["/absolute"].RW);
            Assert.True(mounts["/relative"].RW);
            Assert.Equal("bind", mounts["/long"].Type);
        }
        finally
        {
            if (Directory.Exists(absolute))
            {
                Directory.Delete(absolute, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Apply_LongSyntaxBindToMissingSourceWithoutCreateHostPath_FailsNamingThePathAndCreatesNothing()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var desired = Load(repository, harness, """
            services:
              app:
                image: berth-test/busybox:1
                command: ["sleep", "3600"]
                volumes:
                  - type: bind
                    source: ./missing
                    target: /missing
            """);

        var result = await harness.ApplyAsync(desired);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var missing = Path.Combine(repository.Directory, "stacks", harness.StackName, "missing");
        Assert.Contains($"bind source path does not exist: {missing}", result.Summary, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    /// <summary>Docker reports capabilities with or without the CAP_ prefix depending on the version.</summary>
    private static string Capability(string capability) =>
        capability.StartsWith("CAP_", StringComparison.Ordinal) ? capability : "CAP_" + capability;

    /// <summary>Writes an inventory running one stack (the test's) on the test's host, and loads it as berth would.</summary>
    internal static DesiredState Load(TestRepository repository, ReconcileHarness harness, string compose)
    {
        var stack = harness.StackName;
        repository.Write("berth.yaml", $"""
            hosts:
              {harness.Host}: {"{}"}
            stacks:
              {stack}:
                compose: stacks/{stack}/compose.yaml
                hosts: [{harness.Host}]
            """);
        repository.Write($"stacks/{stack}/compose.yaml", $"name: {stack}\n" + compose);
        var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host);
        Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        return loaded.State!;
    }
}
