using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

public sealed class ServiceReaderTests
{
    [Fact]
    public void Image_Minimal_FillsComposeDefaults()
    {
        var service = LoadService("image: nginx:1.27");

        var container = service.Container;
        Assert.Equal("nginx:1.27", container.Image);
        Assert.Null(container.Command);
        Assert.Null(container.Entrypoint);
        Assert.Equal("no", container.Restart);
        Assert.Equal(ResourceLimits.None, container.Limits);
        Assert.Null(container.HealthCheck);
        Assert.False(container.Init);
        Assert.Equal(1, service.Replicas);
        Assert.Equal(RolloutPolicy.DefaultUpdate, service.Update);
        Assert.Equal(RolloutPolicy.DefaultRollback, service.Rollback);
        Assert.Equal(PullPolicy.Missing, service.PullPolicy);
        Assert.Equal(["default"], container.Networks.Select(network => network.Key));
        Assert.Equal("app_default", container.Networks[0].EngineName);
    }

    [Theory]
    [InlineData("command: echo hello world", new[] { "echo", "hello", "world" })]
    [InlineData("command: sh -c 'echo \"a b\"; exit 1'", new[] { "sh", "-c", "echo \"a b\"; exit 1" })]
    [InlineData("command: say \"two words\" escaped\\ space", new[] { "say", "two words", "escaped space" })]
    [InlineData("command: [\"sh\", \"-c\", \"echo $$HOME\"]", new[] { "sh", "-c", "echo $HOME" })]
    [InlineData("command: []", new string[0])]
    public void Command_StringOrList_IsShellSplitOrTakenAsIs(string line, string[] expected)
    {
        var service = LoadService("image: busybox\n" + line);

        Assert.Equal(expected, service.Container.Command!.Value.ToArray());
    }

    [Fact]
    public void Entrypoint_StringAndList_MapToTheSameArguments()
    {
        var fromString = LoadService("image: busybox\nentrypoint: /bin/sh -c");
        var fromList = LoadService("image: busybox\nentrypoint: [/bin/sh, -c]");

        Assert.Equal(["/bin/sh", "-c"], fromString.Container.Entrypoint!.Value.ToArray());
        Assert.Equal(fromString.ConfigHash, fromList.ConfigHash);
    }

    [Fact]
    public void Environment_MapAndList_AreEquivalent()
    {
        var map = LoadService("image: busybox\nenvironment:\n  A: 1\n  B: two words\n  C: ''");
        var list = LoadService("image: busybox\nenvironment:\n  - B=two words\n  - A=1\n  - C=");

        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "two words", ["C"] = "" }, map.Container.Environment);
        Assert.Equal(map.ConfigHash, list.ConfigHash);
    }

    [Fact]
    public void Environment_KeyWithoutValue_TakesTheHostValueOrIsDropped()
    {
        var options = new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["FROM_HOST"] = "h" } };

        var service = LoadService("image: busybox\nenvironment:\n  - FROM_HOST\n  - MISSING", options);
        var mapStyle = LoadService("image: busybox\nenvironment:\n  FROM_HOST:\n  MISSING:", options);

        Assert.Equal(new Dictionary<string, string> { ["FROM_HOST"] = "h" }, service.Container.Environment);
        Assert.Equal(service.ConfigHash, mapStyle.ConfigHash);
    }

    [Fact]
    public void EnvFile_ShortListAndLongForms_ReadRelativeToTheComposeFileAndEnvironmentWins()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  app:\n    compose: stacks/app/compose.yaml\n    hosts: [h]\n")
            .With("stacks/app/compose.yaml", """
                services:
                  web:
                    image: busybox
                    env_file:
                      - common.env
                      - path: ./optional.env
                        required: false
                      - path: ../shared/extra.env
                    environment:
                      OVERRIDDEN: from-environment
                """)
            .With("stacks/app/common.env", "# comment\nexport A=1\nB=\"quoted # not a comment\"\nC='single $NOT_INTERPOLATED'\nOVERRIDDEN=from-file\nD=plain # comment\n")
            .With("stacks/shared/extra.env", "E=${HOST_VAR:-fallback}\n");

        var result = repository.LoadHost("h");

        Assert.Empty(result.Errors);
        var environment = result.State!.Stacks[0].Services[0].Container.Environment;
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["A"] = "1", ["B"] = "quoted # not a comment", ["C"] = "single $NOT_INTERPOLATED", ["D"] = "plain", ["E"] = "fallback", ["OVERRIDDEN"] = "from-environment",
            },
            environment);
    }

    [Fact]
    public void EnvFile_StringForm_IsOneFile()
    {
        var repository = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n    env_file: web.env\n").With("web.env", "A=1\n");

        var result = repository.LoadHost();

        Assert.Equal("1", result.State!.Stacks[0].Services[0].Container.Environment["A"]);
    }

    [Fact]
    public void EnvFile_VariableFromAnEarlierLine_IsUsedAndAnUndefinedOneIsReportedAtItsColumn()
    {
        var repository = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n    env_file: web.env\n")
            .With("web.env", "DOMAIN=example.org\nURL=https://${DOMAIN}/\n");
        var broken = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n    env_file: web.env\n")
            .With("web.env", "DOMAIN=example.org\nURL=https://${DOMAN}/\n");

        var result = repository.LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        Assert.Equal("https://example.org/", result.State!.Stacks[0].Services[0].Container.Environment["URL"]);
        Assert.Equal(
            "web.env:2:13: URL: variable DOMAN is not defined (set it in the host's or stack's vars, or give a default: ${DOMAN:-value})",
            Assert.Single(broken.LoadHost().Errors).ToString());
    }

    [Fact]
    public void Labels_MapAndList_AreEquivalent()
    {
        var map = LoadService("image: busybox\nlabels:\n  com.example.team: web\n  flag: ''");
        var list = LoadService("image: busybox\nlabels: [com.example.team=web, flag]");

        Assert.Equal(new Dictionary<string, string> { ["com.example.team"] = "web", ["flag"] = "" }, map.Container.Labels);
        Assert.Equal(map.ConfigHash, list.ConfigHash);
    }

    [Fact]
    public void Expose_RangesAndProtocols_AreExpandedAndSorted()
    {
        var service = LoadService("image: busybox\nexpose: [\"9000/udp\", 3000-3001, 80]");

        Assert.Equal(["80/tcp", "3000/tcp", "3001/tcp", "9000/udp"], service.Container.Expose.ToArray());
    }

    [Fact]
    public void Networks_ListAndMapWithAliases_AreSortedAndResolved()
    {
        var list = LoadService("image: busybox\nnetworks: [front, back]", extraTopLevel: "networks:\n  front: {}\n  back:\n    name: shared-back\n");
        var map = LoadService("image: busybox\nnetworks:\n  back:\n    aliases: [z, a]\n  front:", extraTopLevel: "networks:\n  front: {}\n  back:\n    name: shared-back\n");

        Assert.Equal(
            [new ServiceNetwork("back", "shared-back", []), new ServiceNetwork("front", "app_front", [])],
            list.Container.Networks.Select(network => network with { Aliases = [] }));
        Assert.Equal(["a", "z"], map.Container.Networks[0].Aliases.ToArray());
        Assert.Empty(map.Container.Networks[1].Aliases.ToArray());
    }

    [Fact]
    public void NetworkMode_Host_AttachesNoNetworkAndCreatesNoDefault()
    {
        var stack = LoadStack("services:\n  web:\n    image: busybox\n    network_mode: host\n");

        Assert.Equal("host", stack.Services[0].Container.NetworkMode);
        Assert.Empty(stack.Services[0].Container.Networks);
        Assert.Empty(stack.Networks);
    }

    [Fact]
    public void Restart_ValidValues_AreKept()
    {
        Assert.Equal("on-failure:3", LoadService("image: busybox\nrestart: on-failure:3").Container.Restart);
        Assert.Equal("unless-stopped", LoadService("image: busybox\nrestart: unless-stopped").Container.Restart);
    }

    [Fact]
    public void ScalarFields_AllMapToTheModel()
    {
        var container = LoadService("""
            image: busybox
            user: "1000:1000"
            working_dir: /srv
            hostname: web-host
            stop_signal: SIGQUIT
            stop_grace_period: 1m30s
            init: true
            read_only: true
            privileged: true
            shm_size: 64m
            container_name: my-web
            pull_policy: never
            """).Container;

        Assert.Equal("1000:1000", container.User);
        Assert.Equal("/srv", container.WorkingDir);
        Assert.Equal("web-host", container.Hostname);
        Assert.Equal("SIGQUIT", container.StopSignal);
        Assert.Equal(TimeSpan.FromSeconds(90), container.StopGracePeriod);
        Assert.True(container.Init);
        Assert.True(container.ReadOnly);
        Assert.True(container.Privileged);
        Assert.Equal(64L * 1024 * 1024, container.ShmSizeBytes);
        Assert.Equal("my-web", container.ContainerName);
    }

    [Theory]
    [InlineData("never", "never")]
    [InlineData("missing", "missing")]
    [InlineData("if_not_present", "missing")]
    [InlineData("always", "always")]
    [InlineData("daily", "daily")]
    [InlineData("weekly", "weekly")]
    public void PullPolicy_ComposeValues_MapToThePolicy(string value, string expected)
    {
        Assert.Equal(expected, LoadService($"image: busybox\npull_policy: {value}").PullPolicy.ToString());
    }

    [Fact]
    public void PullPolicyAlways_ChecksTheRegistryOnEveryPass()
    {
        var policy = LoadService("image: busybox\npull_policy: always").PullPolicy;

        Assert.Equal(PullMode.Always, policy.Mode);
        Assert.Equal(TimeSpan.Zero, policy.CheckInterval);
    }

    [Theory]
    [InlineData("every_12h", 12 * 60)]
    [InlineData("every_1h30m", 90)]
    [InlineData("every_5m", 5)]
    public void PullPolicyEvery_ReadsGoDurations(string value, int minutes)
    {
        var policy = LoadService($"image: busybox\npull_policy: {value}").PullPolicy;

        Assert.Equal(PullMode.Periodic, policy.Mode);
        Assert.Equal(TimeSpan.FromMinutes(minutes), policy.CheckInterval);
    }

    [Fact]
    public void PullPolicyMissing_NeverAsksTheRegistry()
    {
        Assert.False(LoadService("image: busybox").PullPolicy.ChecksRegistry);
        Assert.False(LoadService("image: busybox\npull_policy: never").PullPolicy.ChecksRegistry);
    }

    [Fact]
    public void PullPolicyBuild_IsRefusedAtTheValue()
    {
        Assert.Equal(
            ["4:18: services.web.pull_policy: build is not supported: berth does not build images. Build and push the image elsewhere, then set 'image' and a pull_policy of always, missing, if_not_present, never, daily, weekly, every_<duration>"],
            Errors("services:\n  web:\n    image: busybox\n    pull_policy: build\n"));
    }

    [Fact]
    public void PullPolicyInvalid_OffersTheAcceptedValues()
    {
        Assert.Equal(
            ["4:18: services.web.pull_policy must be one of always, missing, if_not_present, never, daily, weekly, every_<duration>, not 'sometimes'"],
            Errors("services:\n  web:\n    image: busybox\n    pull_policy: sometimes\n"));
    }

    [Theory]
    [InlineData("every_12", "4:18: services.web.pull_policy: invalid duration '12' (after every_): ")]
    [InlineData("every_0s", "4:18: services.web.pull_policy: 'every_0s' must name a positive interval")]
    [InlineData("every_9000h", "4:18: services.web.pull_policy: 'every_9000h' is longer than")]
    public void PullPolicyEveryInvalid_SaysWhyAtTheValue(string value, string expectedStart)
    {
        Assert.StartsWith(expectedStart, Assert.Single(Errors($"services:\n  web:\n    image: busybox\n    pull_policy: {value}\n")), StringComparison.Ordinal);
    }

    [Fact]
    public void PullRefreshAfter_IsRefusedWithThePullPolicyToUse()
    {
        var error = Assert.Single(Errors("services:\n  web:\n    image: busybox\n    pull_refresh_after: 1h\n"));

        Assert.StartsWith("4:5: 'services.web.pull_refresh_after' is not supported", error, StringComparison.Ordinal);
        Assert.Contains("use pull_policy: every_<duration>", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_CapabilitiesSecurityDevicesTmpfs_AreSortedAndDistinct()
    {
        var container = LoadService("""
            image: busybox
            cap_add: [NET_ADMIN, CHOWN, NET_ADMIN]
            cap_drop: [ALL]
            security_opt: [no-new-privileges:true, apparmor=unconfined]
            devices:
              - /dev/ttyUSB0:/dev/ttyUSB0
              - source: /dev/fuse
            tmpfs: [/tmp, /run]
            """).Container;

        Assert.Equal(["CHOWN", "NET_ADMIN"], container.CapAdd.ToArray());
        Assert.Equal(["ALL"], container.CapDrop.ToArray());
        Assert.Equal(["apparmor=unconfined", "no-new-privileges:true"], container.SecurityOpt.ToArray());
        Assert.Equal(["/dev/fuse:/dev/fuse:rwm", "/dev/ttyUSB0:/dev/ttyUSB0"], container.Devices.ToArray());
        Assert.Equal(["/run", "/tmp"], container.Tmpfs.ToArray());
        Assert.Equal(["/tmp"], LoadService("image: busybox\ntmpfs: /tmp").Container.Tmpfs.ToArray());
    }

    [Fact]
    public void ExtraHosts_ListAndMap_NormaliseToHostColonAddress()
    {
        var list = LoadService("image: busybox\nextra_hosts: [\"db:10.0.0.2\", \"v6=::1\"]");
        var map = LoadService("image: busybox\nextra_hosts:\n  v6: \"::1\"\n  db: 10.0.0.2");

        Assert.Equal(["db:10.0.0.2", "v6:::1"], list.Container.ExtraHosts.ToArray());
        Assert.Equal(list.ConfigHash, map.ConfigHash);
    }

    [Fact]
    public void Dns_StringOrList_KeepsOrder()
    {
        Assert.Equal(["9.9.9.9", "1.1.1.1"], LoadService("image: busybox\ndns: [9.9.9.9, 1.1.1.1]").Container.Dns.ToArray());
        Assert.Equal(["1.1.1.1"], LoadService("image: busybox\ndns: 1.1.1.1").Container.Dns.ToArray());
    }

    [Fact]
    public void Sysctls_MapAndList_AreEquivalent()
    {
        var map = LoadService("image: busybox\nsysctls:\n  net.core.somaxconn: 1024");
        var list = LoadService("image: busybox\nsysctls: [net.core.somaxconn=1024]");

        Assert.Equal("1024", map.Container.Sysctls["net.core.somaxconn"]);
        Assert.Equal(map.ConfigHash, list.ConfigHash);
    }

    [Fact]
    public void Ulimits_NumberOrSoftHard_AreSortedByName()
    {
        var container = LoadService("image: busybox\nulimits:\n  nproc: 65535\n  nofile: { soft: 1024, hard: 4096 }").Container;

        Assert.Equal([new UlimitSpec("nofile", 1024, 4096), new UlimitSpec("nproc", 65535, 65535)], container.Ulimits.ToArray());
    }

    [Fact]
    public void Logging_DriverAndOptions_MapToLoggingSpec()
    {
        var logging = LoadService("image: busybox\nlogging:\n  driver: local\n  options: { max-size: 10m, max-file: '3' }").Container.Logging!;

        Assert.Equal("local", logging.Driver);
        Assert.Equal(new Dictionary<string, string> { ["max-file"] = "3", ["max-size"] = "10m" }, logging.Options);
        Assert.Equal("json-file", LoadService("image: busybox\nlogging: { options: { max-size: 1m } }").Container.Logging!.Driver);
    }

    [Fact]
    public void XBerth_Drain_IsReadAndNotHashed()
    {
        var withDrain = LoadService("image: busybox\nx-berth: { drain: 2s }");
        var without = LoadService("image: busybox");

        Assert.Equal(TimeSpan.FromSeconds(2), withDrain.Drain);
        Assert.Equal(without.ConfigHash, withDrain.ConfigHash);
    }

    [Fact]
    public void Extensions_XKeys_AreIgnored()
    {
        var service = LoadService("image: busybox\nx-notes: anything at all");

        Assert.Equal("busybox", service.Container.Image);
    }

    [Theory]
    [InlineData("labels: { io.berth.role: front }", "4:15: services.web.labels: 'io.berth.role' is one of berth's own labels (io.berth.*), which mark what berth manages; use another prefix")]
    [InlineData("labels: [io.berth.managed-by=berth]", "4:14: services.web.labels: 'io.berth.managed-by' is one of berth's own labels (io.berth.*), which mark what berth manages; use another prefix")]
    [InlineData("labels: { IO.Berth.Host: other }", "4:15: services.web.labels: 'IO.Berth.Host' is one of berth's own labels (io.berth.*), which mark what berth manages; use another prefix")]
    [InlineData("labels: [\"${PREFIX:-io.berth.}role=front\"]", "4:14: services.web.labels: 'io.berth.role' is one of berth's own labels (io.berth.*), which mark what berth manages; use another prefix")]
    public void Labels_UnderBerthsOwnPrefix_AreErrorsAtTheKey(string line, string expected)
    {
        // io.berth.role=front would make a replica look like a front to observation and the planner.
        Assert.Equal([expected], Errors($"services:\n  web:\n    image: busybox\n    {line}\n"));
    }

    [Fact]
    public void Labels_MerelyMentioningBerth_AreKept()
    {
        var service = LoadService("image: busybox\nlabels: { io.berth: x, com.example.io.berth.role: y, io.berthing.role: z }");

        Assert.Equal(["com.example.io.berth.role", "io.berth", "io.berthing.role"], service.Container.Labels.Keys);
    }
}
