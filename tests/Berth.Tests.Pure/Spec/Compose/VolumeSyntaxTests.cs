using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

public sealed class VolumeSyntaxTests
{
    private const string DataVolume = "volumes:\n  data: {}\n";

    [Fact]
    public void ShortSyntax_NamedBindAnonymous_MapToMounts()
    {
        var mounts = LoadService("image: busybox\nvolumes:\n  - data:/var/lib/data:ro,nocopy\n  - ./conf:/etc/app:ro,rshared\n  - /abs/path:/abs\n  - /cache", extraTopLevel: DataVolume).Container.Mounts;

        Assert.Equal(
            [
                new MountSpec(MountType.Bind, "/abs/path", "/abs", ReadOnly: false),
                new MountSpec(MountType.Volume, null, "/cache", ReadOnly: false),
                new MountSpec(MountType.Bind, "/repo/conf", "/etc/app", ReadOnly: true, BindPropagation: "rshared"),
                new MountSpec(MountType.Volume, "app_data", "/var/lib/data", ReadOnly: true, VolumeKey: "data", VolumeNoCopy: true),
            ],
            mounts.ToArray());
    }

    [Fact]
    public void LongSyntax_AllOptions_MapToMounts()
    {
        var mounts = LoadService("""
            image: busybox
            volumes:
              - type: volume
                source: data
                target: /data
                read_only: true
                volume: { nocopy: true }
              - type: bind
                source: ../outside-compose-dir
                target: /src
                bind: { propagation: rslave, create_host_path: true }
              - type: tmpfs
                target: /scratch
                tmpfs: { size: 1g }
            """, extraTopLevel: DataVolume).Container.Mounts;

        Assert.Equal(
            [
                new MountSpec(MountType.Volume, "app_data", "/data", ReadOnly: true, VolumeKey: "data", VolumeNoCopy: true),
                new MountSpec(MountType.Tmpfs, null, "/scratch", ReadOnly: false, TmpfsSizeBytes: 1L << 30),
                new MountSpec(MountType.Bind, "/outside-compose-dir", "/src", ReadOnly: false, BindPropagation: "rslave", BindCreateHostPath: true),
            ],
            mounts.ToArray());
    }

    [Fact]
    public void ConsistencyOptions_CachedDelegatedConsistent_AreAcceptedAsNoOpsAndNotHashed()
    {
        var plain = LoadService("image: busybox\nvolumes: [\"./src:/src:ro\", \"data:/data\"]", extraTopLevel: DataVolume);
        var cached = LoadService("image: busybox\nvolumes: [\"./src:/src:ro,cached\", \"data:/data:delegated\"]", extraTopLevel: DataVolume);
        var consistent = LoadService("image: busybox\nvolumes: [\"./src:/src:consistent,ro\", { type: volume, source: data, target: /data, consistency: cached }]", extraTopLevel: DataVolume);

        Assert.Equal(plain.Container.Mounts.ToArray(), cached.Container.Mounts.ToArray());
        Assert.Equal(plain.ConfigHash, cached.ConfigHash);
        Assert.Equal(plain.ConfigHash, consistent.ConfigHash);
    }

    [Fact]
    public void ShortAndLong_NamedVolume_GiveTheSameHash()
    {
        var shortForm = LoadService("image: busybox\nvolumes: [\"data:/data\"]", extraTopLevel: DataVolume);
        var longForm = LoadService("image: busybox\nvolumes: [{ type: volume, source: data, target: /data }]", extraTopLevel: DataVolume);

        Assert.Equal(shortForm.ConfigHash, longForm.ConfigHash);
    }

    [Fact]
    public void ExternalAndNamedVolumes_ResolveTheirEngineNames()
    {
        var stack = LoadStack("""
            services:
              web:
                image: busybox
                volumes: [ext:/a, named:/b]
            volumes:
              ext: { external: true }
              named: { name: fixed-name, driver: local, driver_opts: { type: none }, labels: { a: b } }
            """);

        Assert.Equal(["ext", "fixed-name"], stack.Services[0].Container.Mounts.Select(mount => mount.Source));
        Assert.True(stack.Volumes[0].External);
        Assert.Equal("none", stack.Volumes[1].DriverOptions["type"]);
    }

    [Theory]
    [InlineData("data:relative", "4:15: services.web.volumes: the mount target 'relative' must be an absolute path in the container")]
    [InlineData("data:/b:z", "4:15: services.web.volumes: the SELinux relabel option 'z' applies to bind mounts (a host path) only")]
    [InlineData("./a:/b:fast", "4:15: services.web.volumes: unknown volume option 'fast' (expected ro, rw, cached, delegated, consistent, or a propagation: shared, rshared, slave, rslave, private, rprivate)")]
    [InlineData("{ type: bind, source: ./a, target: /b, consistency: fast }", "4:67: services.web.volumes.consistency must be one of cached, delegated, consistent, not 'fast'")]
    [InlineData("~/a:/b", "4:15: services.web.volumes: '~' in a bind source depends on which user runs berth; use an absolute path")]
    [InlineData("{ type: npipe, target: /x }", "4:23: services.web.volumes.type: mount type 'npipe' is not supported by berth (use volume, bind or tmpfs)")]
    [InlineData("{ type: bind, target: /x }", "4:15: services.web.volumes: a bind mount needs 'source'")]
    public void InvalidVolumes_AreErrorsAtTheItem(string item, string expected)
    {
        Assert.Equal([expected], Errors($"services:\n  web:\n    image: busybox\n    volumes: [{item}]\n"));
    }
}
