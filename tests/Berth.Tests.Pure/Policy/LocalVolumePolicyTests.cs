using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec;
using Berth.Tests.Spec;

namespace Berth.Tests.Policy;

/// <summary>
/// Local volumes with `driver_opts` against the policy: the local driver mounts whatever `type`,
/// `device` and `o` say, so a named volume can be a host disk, an overlay of host directories or a
/// bind mount by another name. Each is judged as what it mounts.
/// </summary>
public sealed class LocalVolumePolicyTests
{
    /// <summary>Errors of a service using volume `v`, defined with these driver_opts (the volume's key is at 7:3).</summary>
    private static string[] Errors(string driverOptions, HostPolicy policy, string driver = "") =>
        SpecTestRepository.Errors(
            $"name: app\nservices:\n  web:\n    image: busybox\n    volumes: [\"v:/v\"]\nvolumes:\n  v:\n{driver}    driver_opts: {driverOptions}\n",
            new SpecLoadOptions { Policy = policy });

    private static readonly HostPolicy Restrictive = HostPolicy.Restrictive;

    [Theory]
    [InlineData("{ type: tmpfs, device: tmpfs, o: size=100m }")]
    [InlineData("{ type: nfs, o: \"addr=10.0.0.5,rw\", device: \":/exports/data\" }")]
    [InlineData("{ type: nfs4, o: addr=10.0.0.5, device: \":/exports\" }")]
    [InlineData("{ type: cifs, o: \"addr=files.example.com,username=app\", device: //files.example.com/share }")]
    [InlineData("{ type: TMPFS, device: tmpfs }")]
    public void HostlessTypes_Allowed(string driverOptions)
    {
        Assert.Empty(Errors(driverOptions, Restrictive));
    }

    [Fact]
    public void PlainNamedVolume_AndOtherDrivers_NotJudged()
    {
        Assert.Empty(SpecTestRepository.Errors("name: app\nservices:\n  web:\n    image: busybox\n    volumes: [\"v:/v\"]\nvolumes:\n  v: {}\n", new SpecLoadOptions { Policy = Restrictive }));
        Assert.Empty(Errors("{ type: ext4, device: /dev/sda1 }", Restrictive, driver: "    driver: rexray/ebs\n"));
    }

    [Fact]
    public void HostBlockDevice_JudgedAsADevice()
    {
        // The reviewer's example: the host's root partition, mounted into the container.
        var error = Assert.Single(Errors("{ type: ext4, device: /dev/sda1 }", Restrictive));
        Assert.StartsWith("7:3: volumes.v.driver_opts.device: the host device /dev/sda1 is not in this host's allowed devices", error, StringComparison.Ordinal);
        Assert.Contains("add /dev/sda1 to policy.devices", error, StringComparison.Ordinal);

        Assert.Empty(Errors("{ type: ext4, device: /dev/sda1 }", Restrictive with { Devices = ["/dev/sda1"] }));
    }

    [Fact]
    public void OverlayOfHostDirectories_JudgedAsBindMounts()
    {
        var errors = Errors("{ type: overlay, device: overlay, o: \"lowerdir=/:/usr,upperdir=/srv/up,workdir=/srv/work\" }", Restrictive with { BindMounts = ["/srv"] });

        Assert.Equal(2, errors.Length);
        Assert.StartsWith("7:3: volumes.v.driver_opts.o: the overlay lowerdir '/' is outside the host paths this host allows and hands out the whole host file system", errors[0], StringComparison.Ordinal);
        Assert.Contains("the overlay lowerdir '/usr' is outside", errors[1], StringComparison.Ordinal);

        Assert.Empty(Errors("{ type: overlay, device: overlay, o: \"lowerdir=/srv/a:/srv/b,upperdir=/srv/up,workdir=/srv/work\" }", Restrictive with { BindMounts = ["/srv"] }));
    }

    [Fact]
    public void OverlayWithARelativeDirectory_Denied()
    {
        Assert.Contains("must be an absolute host path", Assert.Single(Errors("{ type: overlay, o: \"lowerdir=lower\" }", Restrictive)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ type: proc, device: proc }", "type 'proc' on 'proc'", "proc")]
    [InlineData("{ type: btrfs, device: \"LABEL=data\" }", "type 'btrfs' on 'LABEL=data'", "btrfs")]
    [InlineData("{ device: /srv/x }", "no type on '/srv/x'", "the type")]
    public void OtherTypes_Denied_UnlessListedInVolumeTypes(string driverOptions, string shown, string key)
    {
        var error = Assert.Single(Errors(driverOptions, Restrictive));
        Assert.StartsWith($"7:3: volumes.v.driver_opts: a local volume of {shown} mounts something of the host's; refused by this host's policy", error, StringComparison.Ordinal);
        Assert.Contains($"add {key} to policy.volumeTypes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherTypes_AllowedWhenListed()
    {
        Assert.Empty(Errors("{ type: btrfs, device: \"LABEL=data\" }", Restrictive with { VolumeTypes = ["btrfs"] }));
    }

    [Fact]
    public void BindVolume_WithAnyType_StillJudgedAsABind()
    {
        Assert.Contains("the bind volume of '/etc' is outside", Assert.Single(Errors("{ type: ext4, o: rbind, device: /etc }", Restrictive)), StringComparison.Ordinal);
    }

    [Fact]
    public void OverlayUpperDir_IsWritable_ABindBelowItDenied()
    {
        var errors = SpecTestRepository.Errors(
            "name: app\nservices:\n  web:\n    image: busybox\n    volumes: [\"v:/v\", \"/srv/up/x:/x:ro\"]\nvolumes:\n  v:\n" +
            "    driver_opts: { type: overlay, o: \"lowerdir=/srv/a,upperdir=/srv/up,workdir=/srv/work\" }\n",
            new SpecLoadOptions { Policy = Restrictive with { BindMounts = ["/srv"] } });

        Assert.Contains("lies below /srv/up, which volumes.v mounts writable", Assert.Single(errors), StringComparison.Ordinal);
    }
}
