using Berth.Daemon.Configuration;
using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec;
using Berth.Tests.Spec;

namespace Berth.Tests.Policy;

/// <summary>The `policy:` section: the daemon's config and a file of its own (`--policy`) read the same way.</summary>
public sealed class HostPolicyReaderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-policy-file-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private HostPolicyLoadResult LoadFile(string yaml)
    {
        var path = Path.Combine(directory, "policy.yaml");
        File.WriteAllText(path, yaml);
        return HostPolicyFile.Load(path);
    }

    [Fact]
    public void EveryKey_Read()
    {
        var loaded = LoadFile(
            "policy:\n  privileged: true\n  hostNamespaces: [network]\n  capabilities: [cap_net_admin, SYS_TIME]\n  devices: [/dev/ttyUSB0]\n" +
            "  unconfined: true\n  bindMounts: [/srv/data/, /opt//app/../shared]\n  nestedBindMounts: true\n  volumeTypes: [Btrfs, ext4]\n  sysctls: any\n  images: [registry.example.com, docker.io/library/]\n");

        Assert.Empty(loaded.Errors);
        var policy = loaded.Policy!;
        Assert.True(policy.Privileged);
        Assert.Equal(["network"], policy.HostNamespaces);
        Assert.Equal(["NET_ADMIN", "SYS_TIME"], policy.Capabilities);
        Assert.Equal(["/dev/ttyUSB0"], policy.Devices);
        Assert.True(policy.Unconfined);
        Assert.Equal(["/opt/shared", "/srv/data"], policy.BindMounts);
        Assert.True(policy.NestedBindMounts);
        Assert.Equal(["btrfs", "ext4"], policy.VolumeTypes);
        Assert.Equal(SysctlScope.Any, policy.Sysctls);
        Assert.Equal(["registry.example.com", "docker.io/library/"], policy.Images!.Value.ToArray());
    }

    [Fact]
    public void EmptySection_IsTheRestrictivePolicy()
    {
        Assert.Equal(HostPolicy.Restrictive, LoadFile("policy:\n").Policy);
        Assert.Equal(HostPolicy.Restrictive, LoadFile("policy: {}\n").Policy);
        Assert.Null(HostPolicy.Restrictive.Images);
        Assert.False(HostPolicy.Restrictive.NestedBindMounts);
        Assert.Empty(HostPolicy.Restrictive.VolumeTypes);
    }

    [Fact]
    public void BadValues_EveryErrorWithItsPlace()
    {
        var loaded = LoadFile("policy:\n  privilegd: true\n  hostNamespaces: [net]\n  capabilities: [\"net admin\"]\n  bindMounts: [srv/data]\n  sysctls: some\n  images: [\"/x\"]\n");

        Assert.Null(loaded.Policy);
        Assert.Equal(
            ["2:3", "3:20", "4:18", "5:16", "6:12", "7:12"],
            loaded.Errors.Select(error => $"{error.Line}:{error.Column}"));
        Assert.Contains("unknown key 'privilegd'", loaded.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("policy.hostNamespaces must be one of ipc, network, pid, userns, uts", loaded.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("must be an absolute path", loaded.Errors[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileWithoutPolicySection_Refused()
    {
        var loaded = LoadFile("source:\n  url: /x\n");
        Assert.Contains("no 'policy:' section", Assert.Single(loaded.Errors).Message, StringComparison.Ordinal);
        Assert.Contains("cannot read the policy file", Assert.Single(HostPolicyFile.Load(Path.Combine(directory, "missing.yaml")).Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DaemonConfig_PolicySection_ReadWithItsErrors()
    {
        var file = Path.Combine(directory, "berth.yaml");
        var withPolicy = ConfigLoader.Load(file, "source:\n  url: /srv/repo\npolicy:\n  capabilities: [NET_ADMIN]\n", "machine");
        var without = ConfigLoader.Load(file, "source:\n  url: /srv/repo\n", "machine");
        var invalid = ConfigLoader.Load(file, "source:\n  url: /srv/repo\npolicy:\n  privileged: maybe\n", "machine");

        Assert.Equal(HostPolicy.Restrictive with { Capabilities = ["NET_ADMIN"] }, withPolicy.Config!.Policy);
        Assert.Null(without.Config!.Policy);
        Assert.Equal((4, 15), (Assert.Single(invalid.Errors).Line, invalid.Errors[0].Column));
    }

    [Fact]
    public void ShippedConfig_HasARestrictivePolicy_ThatTheExampleRepositoryPasses()
    {
        var shipped = Path.Combine(SpecLoaderTests.RepositoryRoot(), "packaging", "berth.yaml");
        var policy = HostPolicyFile.Load(shipped).Policy!;

        Assert.False(policy.Privileged);
        Assert.Empty(policy.HostNamespaces);
        Assert.Empty(policy.BindMounts);
        Assert.DoesNotContain("SYS_ADMIN", policy.Capabilities);
        Assert.Equal(policy, ConfigLoader.Load(shipped, File.ReadAllText(shipped).Replace("  #url: ", "  url: ", StringComparison.Ordinal), "machine").Config!.Policy);
        foreach (var host in new[] { "demo", "web-2" })
        {
            var loaded = SpecLoader.LoadHost(Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"), host, new SpecLoadOptions { Policy = policy });
            Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        }
    }
}
