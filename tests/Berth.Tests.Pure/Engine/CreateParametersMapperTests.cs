using Berth.Reconciler.Engine;
using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Engine;

/// <summary>Which engine form each mount takes; that the engine accepts them is tested in Berth.Tests.Docker.</summary>
public sealed class CreateParametersMapperTests
{
    private static Docker.DotNet.Models.CreateContainerParameters Map(IReadOnlyDictionary<string, string>? inherited, params MountSpec[] mounts)
    {
        var service = Service("s", "app", Container() with { Mounts = [.. mounts] });
        return CreateParametersMapper.Map(new ContainerCreateRequest(service, 1, "s-app-1", new ResourceOwner("h", null), null, true), inherited);
    }

    [Fact]
    public void Map_BindThatMayCreateItsHostPath_UsesTheLegacyBindsFormWhichEveryEngineVersionCreates()
    {
        var parameters = Map(null,
            new MountSpec(MountType.Bind, "/srv/conf", "/etc/app", ReadOnly: true),
            new MountSpec(MountType.Bind, "/srv/shared", "/shared", ReadOnly: false, BindPropagation: "rshared"),
            new MountSpec(MountType.Bind, "/srv/plain", "/plain", ReadOnly: false));

        Assert.Equal(["/srv/conf:/etc/app:ro", "/srv/shared:/shared:rshared", "/srv/plain:/plain"], parameters.HostConfig!.Binds!);
        Assert.Empty(parameters.HostConfig!.Mounts!);
    }

    [Fact]
    public void Map_BindWithSELinuxRelabel_WritesItIntoTheBindsModeAsCompose()
    {
        var parameters = Map(null,
            new MountSpec(MountType.Bind, "/srv/conf", "/etc/app", ReadOnly: true) { BindSELinux = "z" },
            new MountSpec(MountType.Bind, "/srv/own", "/own", ReadOnly: false) { BindSELinux = "Z" });

        Assert.Equal(["/srv/conf:/etc/app:ro,z", "/srv/own:/own:Z"], parameters.HostConfig!.Binds!);
    }

    [Fact]
    public void Map_RuntimeAndResourceKeysUnset_SendTheEngineDefaults()
    {
        var parameters = CreateParametersMapper.Map(new ContainerCreateRequest(Service("s", "app", Container()), 1, "s-app-1", new ResourceOwner("h", null), null, true));

        Assert.False(parameters.OpenStdin);
        Assert.False(parameters.Tty);
        var host = parameters.HostConfig!;
        Assert.Equal((0L, 0L, 0L), (host.MemorySwap, host.MemoryReservation, host.CPUShares));
        Assert.Null(host.Runtime);
        Assert.Empty(host.GroupAdd);
        Assert.Empty(host.DNSSearch);
        Assert.Empty(host.DNSOptions);
    }

    [Fact]
    public void Map_BindWithoutCreateHostPath_StaysAMountSoAMissingSourceFails()
    {
        var parameters = Map(null, new MountSpec(MountType.Bind, "/srv/conf", "/etc/app", ReadOnly: true, BindCreateHostPath: false));

        Assert.Empty(parameters.HostConfig!.Binds!);
        var mount = Assert.Single(parameters.HostConfig!.Mounts!);
        Assert.Equal(("bind", "/srv/conf", "/etc/app", true, false), (mount.Type, mount.Source, mount.Target, mount.ReadOnly, mount.BindOptions!.CreateMountpoint));
    }

    [Fact]
    public void Map_BindSourceWithAColon_CannotBeABindsStringAndStaysAMount()
    {
        var parameters = Map(null, new MountSpec(MountType.Bind, "/srv/a:b", "/data", ReadOnly: false));

        Assert.Empty(parameters.HostConfig!.Binds!);
        Assert.True(Assert.Single(parameters.HostConfig!.Mounts!).BindOptions!.CreateMountpoint);
    }

    [Fact]
    public void Map_InheritedAnonymousVolumes_AreMountedAgainByNameAndImageVolumesAdded()
    {
        var inherited = new Dictionary<string, string> { ["/cache"] = "aaa", ["/image-volume"] = "bbb" };

        var parameters = Map(inherited,
            new MountSpec(MountType.Volume, null, "/cache", ReadOnly: false),
            new MountSpec(MountType.Volume, "s_data", "/data", ReadOnly: false, VolumeKey: "data"));

        Assert.Equal(
            [("/cache", "aaa"), ("/data", "s_data"), ("/image-volume", "bbb")],
            parameters.HostConfig!.Mounts!.Select(mount => (mount.Target, mount.Source)).OrderBy(pair => pair.Target, StringComparer.Ordinal));
    }

    [Fact]
    public void AnonymousVolumeTargets_SpecEntriesWithoutSourceAndUncoveredImageVolumes()
    {
        var spec = Container() with
        {
            Mounts = [new MountSpec(MountType.Volume, null, "/cache", false), new MountSpec(MountType.Volume, "s_data", "/data", false, VolumeKey: "data")],
            Tmpfs = ["/run:size=1m"],
        };

        var targets = CreateParametersMapper.AnonymousVolumeTargets(spec, ["/data", "/run", "/state"]);

        Assert.Equal(["/cache", "/state"], targets.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Map_SecretsAndConfigs_AreReadOnlyBindsOfTheirFilesInTheGenerationDirectory()
    {
        var secret = new FileMountSpec(FileMountKind.Secret, "pw", "/run/secrets/pw", null, null, null, "hmac-sha256:00");
        var config = new FileMountSpec(FileMountKind.Config, "conf", "/etc/app.conf", null, null, 0x124, "hmac-sha256:01");
        var service = Service("s", "app", Container() with { Secrets = [secret], Configs = [config] });

        var parameters = CreateParametersMapper.Map(new ContainerCreateRequest(service, 1, "s-app-1", new ResourceOwner("h", null), null, true), null, "/run/berth/files/h/s/app/abc");

        Assert.Equal(
            [("bind", "/run/berth/files/h/s/app/abc/secret-0", "/run/secrets/pw", true), ("bind", "/run/berth/files/h/s/app/abc/config-0", "/etc/app.conf", true)],
            parameters.HostConfig!.Mounts!.Select(mount => (mount.Type, mount.Source, mount.Target, mount.ReadOnly)));
    }
}
