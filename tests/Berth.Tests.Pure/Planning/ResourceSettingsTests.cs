using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>
/// A network's or volume's own settings changed in the repository: the engine cannot apply that in
/// place, and berth never re-creates either implicitly. The plan says what differs and how to resolve it,
/// holds back what uses it, and changes nothing.
/// </summary>
public sealed class ResourceSettingsTests
{
    private const string Host = "host-a";

    private static readonly NetworkSpec Backend = Network("shop", "backend");
    private static readonly VolumeSpec DbData = Volume("shop", "db-data");
    private static readonly ServiceSpec Web = Service("shop", "web", WebContainer(), replicas: 1).OnNetwork(Backend, "shop-web");
    private static readonly ServiceSpec Db = Service("shop", "db", Container()).OnNetwork(Backend).WithVolume(DbData, "/data");
    private static readonly ServiceSpec Cache = Service("shop", "cache", Container());

    private static ObservedNetworkSettings AsCreated(NetworkSpec network) =>
        new(network.Driver, network.DriverOptions, network.Labels, network.Internal);

    private static ObservedVolumeSettings AsCreated(VolumeSpec volume) =>
        new(volume.Driver, volume.DriverOptions, volume.Labels);

    /// <summary>Everything running as applied, with the network and volume as the engine reports them.</summary>
    private static ObservedState Observed(DesiredState desired, ObservedNetworkSettings network, ObservedVolumeSettings volume)
    {
        var matching = TestObserved.Matching(desired);
        return matching with
        {
            Networks = [.. matching.Networks.Select(observed => observed with { Settings = network })],
            Volumes = [.. matching.Volumes.Select(observed => observed with { Settings = volume })],
        };
    }

    [Fact]
    public void Plan_SettingsAsCreated_HasNoChanges()
    {
        var backend = Backend with { DriverOptions = Entries(("com.docker.network.bridge.enable_icc", "true")), Internal = true };
        var desired = Desired(Host, Stack("shop", [Db, Web], [backend], [DbData]));

        var plan = Planner.Create(desired, Observed(desired, AsCreated(backend), AsCreated(DbData)), TestObserved.Applied(Host, Db, Web));

        Assert.Equal("plan for host host-a: no changes\n", plan.ToString());
    }

    [Fact]
    public void Plan_NetworkDriverOptionsAndInternalChanged_ReportsThemHoldsBackItsServicesAndChangesNothingElse()
    {
        var changed = Backend with { DriverOptions = Entries(("com.docker.network.driver.mtu", "1400")), Internal = true };
        var desired = Desired(Host, Stack("shop", [Cache, Db, Web with { Container = Web.Container with { Image = "web:2" } }], [changed], [DbData]));
        var observed = Observed(desired, AsCreated(Backend), AsCreated(DbData));

        var plan = Planner.Create(desired, observed, TestObserved.Applied(Host, Cache, Db, Web));

        Assert.Equal(
            """
            plan for host host-a: no changes
              error: shop/backend: network shop_backend was created with other settings than the spec now gives: driver_opts (com.docker.network.driver.mtu); internal (false -> true). The engine cannot change a network in place and re-creating it would disconnect every container on it, so berth leaves it as it is. Give the network a new name in the compose file (berth creates it and rolls the services over), or remove it by hand and berth creates it again
              error: shop/db: held back: it uses shop_backend, which berth cannot use as the spec asks (see the problem reported for it)
              error: shop/web: held back: it uses shop_backend, which berth cannot use as the spec asks (see the problem reported for it)

            """, plan.ToString());
        Assert.False(plan.Refused);
    }

    [Fact]
    public void Plan_VolumeDriverOptionsChanged_NamesTheOptionButNeverItsValue()
    {
        var cifs = DbData with { DriverOptions = Entries(("type", "cifs"), ("o", "username=shop,password=hunter2")) };
        var before = DbData with { DriverOptions = Entries(("type", "cifs"), ("o", "username=shop,password=old-secret")) };
        var desired = Desired(Host, Stack("shop", [Db], [Backend], [cifs]));

        var text = Planner.Create(desired, Observed(desired, AsCreated(Backend), AsCreated(before)), TestObserved.Applied(Host, Db)).ToString();

        Assert.Contains(
            "error: shop/db-data: volume shop_db-data was created with other settings than the spec now gives: driver_opts (o). " +
            "Re-creating it would lose its data, so berth never does.",
            text,
            StringComparison.Ordinal);
        Assert.Contains("error: shop/db: held back: it uses shop_db-data", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("old-secret", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_ReportsDriverAndEveryDifferingLabelKey()
    {
        var desired = DbData with { Driver = "nfs", Labels = Entries(("backup", "daily"), ("team", "shop")) };
        var observed = new ObservedVolumeSettings("local", Entries(), Entries(("backup", "weekly"), ("owner", "ops")));

        Assert.Equal(["driver (local -> nfs)", "labels (backup, owner, team)"], ResourceSettingsDiff.Describe(desired, observed).ToArray());
    }

    [Fact]
    public void Describe_NotObserved_IsNoDifference()
    {
        Assert.Empty(ResourceSettingsDiff.Describe(Backend with { Internal = true }, null));
        Assert.Empty(ResourceSettingsDiff.Describe(DbData with { Driver = "nfs" }, null));
    }

    [Fact]
    public void UserLabels_LeaveOutBerthsOwnLabels()
    {
        var engineLabels = new Dictionary<string, string>
        {
            [BerthLabels.ManagedBy] = BerthLabels.ManagedByValue,
            [BerthLabels.Host] = Host,
            [BerthLabels.ResourceKey] = "backend",
            ["team"] = "shop",
        };

        Assert.Equal(Entries(("team", "shop")), BerthLabels.UserLabels(engineLabels));
    }
}
