using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

/// <summary>
/// The service-level keys berth accepted for issue 17: resources outside `deploy`, stdin_open / tty,
/// group_add, dns_search / dns_opt, runtime and the SELinux relabel of binds.
/// </summary>
public sealed class ServiceReaderRuntimeKeysTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void ServiceLevelResources_AreReadIntoTheSameLimitsAsDeploy()
    {
        var container = LoadService("""
            image: busybox
            cpus: 0.5
            mem_limit: 256m
            memswap_limit: 512m
            mem_reservation: 64m
            pids_limit: 100
            cpu_shares: 512
            """).Container;

        Assert.Equal(new ResourceLimits(0.5, 256 * MiB, 100), container.Limits);
        Assert.Equal(512 * MiB, container.MemorySwapBytes);
        Assert.Equal(64 * MiB, container.MemoryReservationBytes);
        Assert.Equal(512, container.CpuShares);
    }

    [Fact]
    public void ServiceLevelLimits_HashLikeTheSameDeployLimits()
    {
        var serviceLevel = LoadService("image: busybox\ncpus: 0.5\nmem_limit: 256m\npids_limit: 100");
        var deploy = LoadService("image: busybox\ndeploy: { resources: { limits: { cpus: '0.5', memory: 256m, pids: 100 } } }");
        var both = LoadService("image: busybox\nmem_limit: 256m\ndeploy: { resources: { limits: { cpus: '0.5', memory: 256m, pids: 100 } } }");

        Assert.Equal(deploy.ConfigHash, serviceLevel.ConfigHash);
        Assert.Equal(deploy.ConfigHash, both.ConfigHash);
    }

    [Fact]
    public void MemswapLimit_MinusOne_IsUnlimitedSwap()
    {
        Assert.Equal(-1, LoadService("image: busybox\nmem_limit: 64m\nmemswap_limit: -1").Container.MemorySwapBytes);
    }

    [Fact]
    public void StdinTtyGroupsDnsAndRuntime_AreRead()
    {
        var container = LoadService("""
            image: busybox
            stdin_open: true
            tty: true
            group_add: [wheel, "1001", audio]
            dns_search: [b.example, a.example]
            dns_opt: [ndots:2, use-vc]
            runtime: runc
            """).Container;

        Assert.True(container.StdinOpen);
        Assert.True(container.Tty);
        Assert.Equal(["1001", "audio", "wheel"], container.GroupAdd.ToArray());
        Assert.Equal(["b.example", "a.example"], container.DnsSearch.ToArray());
        Assert.Equal(["ndots:2", "use-vc"], container.DnsOptions.ToArray());
        Assert.Equal("runc", container.Runtime);
    }

    [Fact]
    public void DnsSearch_AString_IsOneDomain()
    {
        Assert.Equal(["example.org"], LoadService("image: busybox\ndns_search: example.org").Container.DnsSearch.ToArray());
    }

    [Theory]
    [InlineData("stdin_open: true", "stdin_open")]
    [InlineData("tty: true", "tty")]
    [InlineData("cpu_shares: 512", "cpu_shares")]
    [InlineData("memswap_limit: 128m", "memswap_limit")]
    [InlineData("mem_reservation: 64m", "mem_reservation")]
    [InlineData("group_add: [wheel]", "group_add")]
    [InlineData("dns_search: [example.org]", "dns_search")]
    [InlineData("dns_opt: [ndots:2]", "dns_opt")]
    [InlineData("runtime: runc", "runtime")]
    public void NewKey_WhenSet_ChangesTheHashUnderItsComposeName(string line, string field)
    {
        var plain = LoadService("image: busybox\nmem_limit: 64m");
        var with = LoadService("image: busybox\nmem_limit: 64m\n" + line);

        Assert.NotEqual(plain.ConfigHash, with.ConfigHash);
        Assert.DoesNotContain(field, plain.FieldHashes.Keys);
        Assert.Contains(field, with.FieldHashes.Keys);
    }

    [Fact]
    public void NewKeys_AtTheirDefaults_LeaveTheHashAsBefore()
    {
        var plain = LoadService("image: busybox");
        var defaults = LoadService("image: busybox\nstdin_open: false\ntty: false\ngroup_add: []\ndns_search: []\ndns_opt: []");

        Assert.Equal(plain.ConfigHash, defaults.ConfigHash);
    }

    [Fact]
    public void BindWithSELinuxRelabel_KeepsTheOptionAndHashesDifferently()
    {
        var relabelled = LoadService("image: busybox\nvolumes: [\"/srv/data:/data:ro,Z\"]");
        var plain = LoadService("image: busybox\nvolumes: [\"/srv/data:/data:ro\"]");

        var mount = Assert.Single(relabelled.Container.Mounts);
        Assert.Equal("Z", mount.BindSELinux);
        Assert.True(mount.ReadOnly);
        Assert.Null(Assert.Single(plain.Container.Mounts).BindSELinux);
        Assert.NotEqual(plain.ConfigHash, relabelled.ConfigHash);
    }

    [Theory]
    [InlineData("    mem_limit: 256m\n    deploy: { resources: { limits: { memory: 512m } } }\n",
        "4:16: service 'web': mem_limit (268435456) and deploy.resources.limits.memory (536870912) differ; Compose refuses distinct values too: keep one of them")]
    [InlineData("    cpus: 1\n    deploy: { resources: { limits: { cpus: '2' } } }\n",
        "4:11: service 'web': cpus (1) and deploy.resources.limits.cpus (2) differ; Compose refuses distinct values too: keep one of them")]
    [InlineData("    pids_limit: 10\n    deploy: { resources: { limits: { pids: 20 } } }\n",
        "4:17: service 'web': pids_limit (10) and deploy.resources.limits.pids (20) differ; Compose refuses distinct values too: keep one of them")]
    [InlineData("    mem_reservation: 10m\n    deploy: { resources: { reservations: { memory: 20m } } }\n",
        "4:22: service 'web': mem_reservation (10485760) and deploy.resources.reservations.memory (20971520) differ; Compose refuses distinct values too: keep one of them")]
    [InlineData("    memswap_limit: 1g\n",
        "4:20: service 'web': memswap_limit needs a memory limit (mem_limit or deploy.resources.limits.memory); the engine refuses it alone")]
    [InlineData("    mem_limit: 1g\n    memswap_limit: 512m\n",
        "5:20: service 'web': memswap_limit (536870912 bytes) is memory plus swap and must be at least the memory limit (1073741824 bytes), or -1 for unlimited swap")]
    [InlineData("    mem_limit: 64m\n    mem_reservation: 128m\n",
        "5:22: service 'web': the memory reservation (134217728 bytes) is above the memory limit (67108864 bytes); the engine refuses it")]
    [InlineData("    cpus: 0\n", "4:11: services.web.cpus must be a number from 0.01 to 1024, not '0'")]
    [InlineData("    cpu_shares: -5\n", "4:17: services.web.cpu_shares must be an integer from 0 to 262144, not '-5'")]
    [InlineData("    tty: yes please\n", "4:10: services.web.tty must be true or false, not 'yes please'")]
    [InlineData("    dns_opt: [\"ndots 2\"]\n", "4:15: services.web.dns_opt: 'ndots 2' must be one word, without spaces")]
    [InlineData("    group_add: wheel\n", "4:16: services.web.group_add must be a list, not a string")]
    [InlineData("    runtime: \"\"\n", "4:14: services.web.runtime: '' must be one word, without spaces")]
    public void InvalidRuntimeKeys_AreErrorsAtTheValue(string lines, string expected)
    {
        Assert.Equal([expected], Errors($"services:\n  web:\n    image: busybox\n{lines}"));
    }

    [Fact]
    public void DistinctTwins_AcrossAnOverrideFile_AreRefusedAfterMerging()
    {
        var errors = new SpecTestRepository()
            .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  app:\n    compose: [base.yaml, override.yaml]\n    hosts: [h]\n")
            .With("base.yaml", "services:\n  web:\n    image: busybox\n    mem_limit: 256m\n")
            .With("override.yaml", "services:\n  web:\n    deploy: { resources: { limits: { memory: 512m } } }\n")
            .LoadHost("h").Errors;

        Assert.Contains(errors, error => error.Message.Contains("mem_limit (268435456) and deploy.resources.limits.memory (536870912) differ", StringComparison.Ordinal));
    }
}
