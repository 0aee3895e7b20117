using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec;
using Berth.Tests.Spec;

namespace Berth.Tests.Policy;

/// <summary>
/// Each rule of the host policy, allowed and denied, through the spec loader as the CLI and the
/// daemon use it: a violation is an error at the line and column of the offending value.
/// Bind and device paths are judged on the real file system, so the link tricks use real links.
/// </summary>
public sealed class HostPolicyCheckTests : IDisposable
{
    private readonly string host = Directory.CreateTempSubdirectory("berth-policy-").FullName;

    public void Dispose() => Directory.Delete(host, recursive: true);

    private static string[] Errors(string serviceYaml, HostPolicy? policy, string topLevel = "")
    {
        var indented = string.Join("\n", serviceYaml.Trim('\n').Split('\n').Select(line => "    " + line));
        return SpecTestRepository.Errors($"name: app\nservices:\n  web:\n    image: busybox\n{indented}\n{topLevel}", new SpecLoadOptions { Policy = policy });
    }

    private static readonly HostPolicy Restrictive = HostPolicy.Restrictive;

    [Fact]
    public void NoPolicy_EverythingAllowed_AsBefore()
    {
        Assert.Empty(Errors("privileged: true\nnetwork_mode: host\ncap_add: [ALL]\nvolumes: [\"/:/host\"]\nsecurity_opt: [seccomp=unconfined]\nsysctls: { vm.swappiness: 1 }", policy: null));
    }

    [Fact]
    public void EmptyService_RestrictivePolicy_Allowed()
    {
        Assert.Empty(Errors("init: true", Restrictive));
    }

    [Fact]
    public void Privileged_Denied_AtItsValueNamingTheKey()
    {
        var error = Assert.Single(Errors("privileged: true", Restrictive));
        Assert.StartsWith("5:17: services.web.privileged: ", error, StringComparison.Ordinal);
        Assert.Contains("policy.privileged: true would allow it", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Privileged_AllowedByPolicy_OrFalse()
    {
        Assert.Empty(Errors("privileged: true", Restrictive with { Privileged = true }));
        Assert.Empty(Errors("privileged: false", Restrictive));
    }

    [Fact]
    public void HostNetwork_Denied_AllowedWithTheNetworkNamespace()
    {
        var error = Assert.Single(Errors("network_mode: host", Restrictive));
        Assert.StartsWith("5:19: services.web.network_mode: host shares the host's network namespace", error, StringComparison.Ordinal);
        Assert.Contains("policy.hostNamespaces: [network]", error, StringComparison.Ordinal);

        Assert.Empty(Errors("network_mode: host", Restrictive with { HostNamespaces = ["network"] }));
        Assert.Empty(Errors("network_mode: none", Restrictive));
    }

    [Fact]
    public void HostPidIpcUtsUserns_RefusedByTheLoaderWithOrWithoutPolicy()
    {
        // berth does not support these keys at all: no commit can ask for them, policy or not.
        foreach (var key in new[] { "pid", "ipc", "uts", "userns_mode" })
        {
            Assert.Contains(Errors($"{key}: host", policy: null), error => error.Contains($"'services.web.{key}' is not supported", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void CapAdd_OutsideTheList_DeniedPerCapabilityAtItsItem()
    {
        var errors = Errors("cap_add: [NET_BIND_SERVICE, SYS_ADMIN, cap_sys_ptrace]", Restrictive with { Capabilities = ["NET_BIND_SERVICE"] });

        Assert.Equal(2, errors.Length);
        Assert.StartsWith("5:33: services.web.cap_add: capability SYS_ADMIN is not in this host's allowed capabilities", errors[0], StringComparison.Ordinal);
        Assert.Contains("add SYS_ADMIN to policy.capabilities", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("5:44: services.web.cap_add: capability SYS_PTRACE ", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void CapAdd_InTheListInAnySpelling_Allowed()
    {
        Assert.Empty(Errors("cap_drop: [ALL]\ncap_add: [cap_net_bind_service, CHOWN]", Restrictive with { Capabilities = ["NET_BIND_SERVICE", "CHOWN"] }));
    }

    [Fact]
    public void CapAddAll_DeniedUnlessAllIsListed()
    {
        Assert.Contains("capability ALL is not in", Assert.Single(Errors("cap_add: [ALL]", Restrictive with { Capabilities = ["NET_ADMIN", "SYS_ADMIN"] })), StringComparison.Ordinal);
        Assert.Empty(Errors("cap_add: [ALL, SYS_ADMIN]", Restrictive with { Capabilities = ["ALL"] }));
    }

    [Fact]
    public void Devices_Unlisted_Denied_Listed_Allowed_LongSyntaxToo()
    {
        var error = Assert.Single(Errors("devices: [\"/dev/sda:/dev/xvda:r\"]", Restrictive));
        Assert.StartsWith("5:15: services.web.devices: the host device /dev/sda is not in this host's allowed devices", error, StringComparison.Ordinal);
        Assert.Contains("add /dev/sda to policy.devices", error, StringComparison.Ordinal);

        var allowed = Restrictive with { Devices = ["/dev/ttyUSB0"] };
        Assert.Empty(Errors("devices: [/dev/ttyUSB0]", allowed));
        Assert.Empty(Errors("devices:\n  - source: /dev/ttyUSB0\n    target: /dev/modem", allowed));
        Assert.Single(Errors("devices:\n  - source: /dev/ttyUSB1\n    target: /dev/modem", allowed));
    }

    [Fact]
    public void Devices_ALinkToAnUnlistedDevice_JudgedByItsTarget()
    {
        var link = Path.Combine(host, "modem");
        File.CreateSymbolicLink(link, "/dev/sda");

        var error = Assert.Single(Errors($"devices: [\"{link}:/dev/modem\"]", Restrictive with { Devices = [link + "-other"] }));
        Assert.Contains($"{link} (which is /dev/sda)", error, StringComparison.Ordinal);
        Assert.Empty(Errors($"devices: [\"{link}:/dev/modem\"]", Restrictive with { Devices = ["/dev/sda"] }));
    }

    [Theory]
    [InlineData("seccomp=unconfined")]
    [InlineData("seccomp:unconfined")]
    [InlineData("apparmor=unconfined")]
    [InlineData("apparmor:unconfined")]
    [InlineData("label=disable")]
    [InlineData("label:disable")]
    [InlineData("systempaths=unconfined")]
    [InlineData("disable")]
    [InlineData("LABEL=DISABLE")]
    [InlineData("writable-cgroups=true")]
    [InlineData("writable-cgroups=1")]
    [InlineData("writable-cgroups:True")]
    [InlineData("seccomp=/etc/berth/permissive.json")]
    public void SecurityOpt_SwitchingConfinementOff_Denied_AllowedWithUnconfined(string option)
    {
        var error = Assert.Single(Errors($"security_opt: [no-new-privileges:true, \"{option}\"]", Restrictive));
        Assert.StartsWith($"5:44: services.web.security_opt: '{option}' switches off the confinement", error, StringComparison.Ordinal);
        Assert.Contains("policy.unconfined: true would allow it", error, StringComparison.Ordinal);

        Assert.Empty(Errors($"security_opt: [\"{option}\"]", Restrictive with { Unconfined = true }));
    }

    [Fact]
    public void SecurityOpt_ThatKeepsConfinement_Allowed()
    {
        Assert.Empty(Errors("security_opt: [no-new-privileges:true, apparmor=docker-default, \"label=type:svirt_apache_t\"]", Restrictive));
        Assert.Empty(Errors("security_opt: [seccomp=builtin, \"seccomp:default\", writable-cgroups=false, no-new-privileges]", Restrictive));
    }

    [Fact]
    public void SecurityOpt_InlineSeccompProfile_DeniedAsUnconfined()
    {
        // The engine's API takes the profile's JSON inline: this one allows every system call.
        var error = Assert.Single(Errors("security_opt:\n  - 'seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}'", Restrictive));
        Assert.StartsWith("6:9: services.web.security_opt: 'seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}' switches off the confinement", error, StringComparison.Ordinal);

        Assert.Empty(Errors("security_opt:\n  - 'seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}'", Restrictive with { Unconfined = true }));
    }

    [Fact]
    public void Sysctls_Namespaced_Allowed()
    {
        Assert.Empty(Errors("sysctls:\n  net.core.somaxconn: 1024\n  kernel.shmmax: 1000000\n  fs.mqueue.msg_max: 20\n  net/ipv4/ip_forward: 1", Restrictive));
    }

    [Fact]
    public void Sysctls_HostWide_Denied_AtTheirKey()
    {
        var errors = Errors("sysctls:\n  vm.swappiness: 1\n  kernel.shmmax: 1000000\n  kernel.panic: 1", Restrictive);

        Assert.Equal(2, errors.Length);
        Assert.StartsWith("6:7: services.web.sysctls: vm.swappiness is not namespaced", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("8:7: services.web.sysctls: kernel.panic is not namespaced", errors[1], StringComparison.Ordinal);
        Assert.Contains("policy.sysctls: any would allow it", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Sysctls_NetOnTheHostNetwork_Denied_EvenWithTheHostNetworkAllowed()
    {
        var error = Assert.Single(Errors("network_mode: host\nsysctls: { net.ipv4.ip_forward: 1 }", Restrictive with { HostNamespaces = ["network"] }));
        Assert.Contains("net.ipv4.ip_forward is not namespaced: it would change the host's kernel (on the host network)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Sysctls_Any_AllowsAll()
    {
        Assert.Empty(Errors("sysctls: { vm.swappiness: 1 }", Restrictive with { Sysctls = SysctlScope.Any }));
    }

    [Theory]
    [InlineData("busybox", "docker.io/library/")]
    [InlineData("busybox:1.36", "docker.io")]
    [InlineData("library/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000", "busybox")]
    [InlineData("docker.io/library/busybox:1", "index.docker.io")]
    [InlineData("registry.example.com/team/app:2", "registry.example.com")]
    [InlineData("registry.example.com/team/app:2", "registry.example.com/team/")]
    [InlineData("registry.example.com:5000/app", "registry.example.com:5000")]
    [InlineData("localhost:5000/app:1", "localhost:5000/")]
    [InlineData("berth-test/busybox:1", "berth-test/")]
    [InlineData("berth-test/busybox:1", "docker.io/berth-test/busybox")]
    public void Images_FromAnAllowedRegistryOrRepository_Allowed(string image, string entry)
    {
        Assert.Empty(SpecTestRepository.Errors($"name: app\nservices:\n  web:\n    image: \"{image}\"\n", new SpecLoadOptions { Policy = Restrictive with { Images = [entry] } }));
    }

    [Theory]
    [InlineData("busybox", "registry.example.com", "docker.io/library/busybox")]
    [InlineData("registry.example.com.evil.io/app", "registry.example.com", "registry.example.com.evil.io/app")]
    [InlineData("registry.example.com/other/app", "registry.example.com/team/", "registry.example.com/other/app")]
    [InlineData("registry.example.com/teamx/app", "registry.example.com/team/", "registry.example.com/teamx/app")]
    [InlineData("busybox-evil", "busybox", "docker.io/library/busybox-evil")]
    [InlineData("evil/busybox", "busybox", "docker.io/evil/busybox")]
    public void Images_FromElsewhere_Denied_AtTheImage(string image, string entry, string shown)
    {
        var error = Assert.Single(SpecTestRepository.Errors($"name: app\nservices:\n  web:\n    image: \"{image}\"\n", new SpecLoadOptions { Policy = Restrictive with { Images = [entry] } }));
        Assert.StartsWith($"4:12: services.web.image: {shown} is not from a registry or repository this host allows ({entry})", error, StringComparison.Ordinal);
        Assert.Contains("policy.images", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Images_NotRestricted_AnyImageAllowed()
    {
        Assert.Empty(Errors("init: true", Restrictive with { Images = null }));
    }

    [Fact]
    public void OnlyServicesThisHostRuns_AreChecked()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts:\n  a: {}\n  b: {}\nstacks:\n  safe: { compose: safe.yaml, hosts: [a] }\n  risky: { compose: risky.yaml, hosts: [b] }\n")
            .With("safe.yaml", "services:\n  web:\n    image: busybox\n")
            .With("risky.yaml", "services:\n  tool:\n    image: busybox\n    privileged: true\n");
        var options = new SpecLoadOptions { Policy = Restrictive };

        Assert.Empty(repository.LoadHost("a", options).Errors);
        var refused = repository.LoadHost("b", options);
        Assert.Null(refused.State);
        Assert.Equal("risky.yaml:4:17", $"{Assert.Single(refused.Errors).File}:{refused.Errors[0].Line}:{refused.Errors[0].Column}");
    }

    [Fact]
    public void SeveralComposeFiles_TheViolationPointsAtTheFileThatAskedForIt()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts:\n  a: {}\nstacks:\n  app: { compose: [base.yaml, override.yaml], hosts: [a] }\n")
            .With("base.yaml", "services:\n  web:\n    image: busybox\n    cap_add: [CHOWN]\n")
            .With("override.yaml", "services:\n  web:\n    privileged: true\n    cap_add: [SYS_ADMIN]\n");

        var errors = repository.LoadHost("a", new SpecLoadOptions { Policy = Restrictive with { Capabilities = ["CHOWN"] } }).Errors;

        Assert.Equal(["override.yaml:3:17", "override.yaml:4:15"], errors.Select(error => $"{error.File}:{error.Line}:{error.Column}"));
    }

    [Fact]
    public void ServiceInAnInactiveProfile_NotChecked()
    {
        Assert.Empty(SpecTestRepository.Errors(
            "name: app\nservices:\n  web:\n    image: busybox\n  debug:\n    image: busybox\n    profiles: [debug]\n    privileged: true\n",
            new SpecLoadOptions { Policy = Restrictive }));
    }

    [Fact]
    public void EveryViolation_ReportedAtOnce()
    {
        var errors = Errors("privileged: true\ncap_add: [SYS_ADMIN]\nvolumes: [\"/etc:/host-etc\"]", Restrictive);
        Assert.Equal(["5:17", "6:15", "7:15"], errors.Select(error => string.Join(':', error.Split(':').Take(2))));
    }
}
