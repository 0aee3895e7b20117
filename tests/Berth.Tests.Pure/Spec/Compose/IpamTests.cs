using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

/// <summary>A network's `ipam` and `enable_ipv6`, and a service's fixed `ipv4_address` / `ipv6_address`.</summary>
public sealed class IpamTests
{
    private const string Networks = """
        networks:
          back:
            enable_ipv6: true
            ipam:
              driver: default
              config:
                - subnet: 172.28.0.0/16
                  ip_range: 172.28.5.0/24
                  gateway: 172.28.0.1
                  aux_addresses: { router: 172.28.1.5 }
                - subnet: fd00:28::/64
        """;

    [Fact]
    public void NetworkIpamAndServiceAddresses_AreReadIntoTheModel()
    {
        var stack = LoadStack($$"""
            services:
              db:
                image: busybox
                networks:
                  back: { ipv4_address: 172.28.5.10, ipv6_address: "fd00:28::10" }
            {{Networks}}
            """);

        var network = Assert.Single(stack.Networks);
        Assert.True(network.EnableIpv6);
        Assert.Equal("default", network.Ipam!.Driver);
        Assert.Equal(
            [new IpamPool("172.28.0.0/16", "172.28.5.0/24", "172.28.0.1", ImmutableSortedDictionary<string, string>.Empty.Add("router", "172.28.1.5")), new IpamPool("fd00:28::/64", null, null, ImmutableSortedDictionary<string, string>.Empty)],
            network.Ipam.Pools.ToArray());
        var attachment = Assert.Single(Assert.Single(stack.Services).Container.Networks);
        Assert.Equal(("172.28.5.10", "fd00:28::10"), (attachment.Ipv4Address, attachment.Ipv6Address));
    }

    [Fact]
    public void AFixedAddress_IsReplacedStopFirst_AndChangesTheConfigHashOnlyWhenSet()
    {
        var fixedAddress = LoadStack($"services:\n  db:\n    image: busybox\n    networks: {{ back: {{ ipv4_address: 172.28.5.10 }} }}\n{Networks}").Services[0];
        var noAddress = LoadStack($"services:\n  db:\n    image: busybox\n    networks: [back]\n{Networks}").Services[0];
        var plain = LoadStack("services:\n  db:\n    image: busybox\n    networks: [back]\nnetworks:\n  back: {}\n").Services[0];

        Assert.Equal(UpdateOrder.StopFirst, RolloutOrder.For(fixedAddress, fixedAddress.Update));
        Assert.Equal(UpdateOrder.StartFirst, RolloutOrder.For(noAddress, noAddress.Update));
        Assert.NotEqual(fixedAddress.ConfigHash, noAddress.ConfigHash);
        Assert.Equal(noAddress.ConfigHash, plain.ConfigHash); // ipam is the network's, not the container's
    }

    [Theory]
    [InlineData("ipv4_address: 10.1.2.3", "4:39: ipv4_address 10.1.2.3 is not inside a subnet of network 'back': the engine assigns fixed addresses only from subnets the network declares; add it under networks.back.ipam.config")]
    [InlineData("ipv4_address: fd00::1", "4:39: services.web.networks.back.ipv4_address: 'fd00::1' is not an IPv4 address")]
    [InlineData("ipv6_address: 172.28.0.9", "4:39: services.web.networks.back.ipv6_address: '172.28.0.9' is not an IPv6 address")]
    public void Addresses_OutsideTheNetworkOrOfTheWrongFamily_AreErrors(string address, string expected)
    {
        Assert.Equal([expected], Errors($"services:\n  web:\n    image: busybox\n    networks: {{ back: {{ {address} }} }}\nnetworks:\n  back:\n    ipam: {{ config: [{{ subnet: 172.28.0.0/16 }}] }}\n"));
    }

    [Fact]
    public void AFixedAddress_WithReplicasOrStartFirst_IsAnError()
    {
        var errors = Errors("""
            services:
              web:
                image: busybox
                networks: { back: { ipv4_address: 172.28.0.9 } }
                deploy: { replicas: 2, update_config: { order: start-first } }
            networks:
              back:
                ipam: { config: [{ subnet: 172.28.0.0/16 }] }
            """);

        Assert.Equal(
            [
                "4:39: service 'web' has 2 replicas and a fixed ipv4_address: only one container can hold an address; remove it or use 1 replica",
                "5:52: order: start-first with a fixed ipv4_address cannot work: the new container cannot take the address the old one holds; use order: stop-first",
            ],
            errors);
    }

    [Theory]
    [InlineData("{ subnet: 172.28.0.0 }", "7:32: networks.back.ipam.config[0].subnet: '172.28.0.0' is not a subnet in CIDR form (e.g. 172.28.0.0/16 or fd00:28::/64)")]
    [InlineData("{ subnet: 172.28.0.0/16, gateway: 10.0.0.1 }", "7:56: networks.back.ipam.config[0].gateway: '10.0.0.1' is not inside subnet 172.28.0.0/16")]
    [InlineData("{ subnet: 172.28.0.0/16, ip_range: 172.29.0.0/24 }", "7:57: networks.back.ipam.config[0].ip_range: '172.29.0.0/24' is not inside subnet 172.28.0.0/16")]
    [InlineData("{ gateway: 172.28.0.1 }", "7:22: networks.back.ipam.config[0]: needs 'subnet' (CIDR, e.g. 172.28.0.0/16)")]
    public void IpamMistakes_AreErrorsAtTheirValue(string pool, string expected)
    {
        var errors = Errors($"services:\n  web:\n    image: busybox\n    networks: [back]\nnetworks:\n  back:\n    ipam: {{ config: [{pool}] }}\n");

        Assert.Equal([expected], errors);
    }

    [Fact]
    public void AnExternalNetwork_TakesNoIpam()
    {
        Assert.Equal(
            ["6:3: external network 'back' is created outside berth: it takes only 'name', not driver, driver_opts, labels, internal, enable_ipv6 or ipam"],
            Errors("services:\n  web:\n    image: busybox\n    networks: [back]\nnetworks:\n  back:\n    external: true\n    ipam: { config: [{ subnet: 172.28.0.0/16 }] }\n"));
    }

    [Fact]
    public void SettingsDiff_IpamComparesWhatTheFileSets_AndEnableIpv6()
    {
        var desired = LoadStack($"services:\n  db:\n    image: busybox\n    networks: [back]\n{Networks}").Networks[0];
        var asCreated = new ObservedNetworkSettings("bridge", ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty, Internal: false)
        {
            EnableIpv6 = true,
            Ipam = desired.Ipam! with { Pools = [desired.Ipam!.Pools[0], desired.Ipam.Pools[1] with { Gateway = "fd00:28::1" }] },
        };

        Assert.Empty(ResourceSettingsDiff.Describe(desired, asCreated));
        Assert.Equal(["enable_ipv6 (false -> true)"], ResourceSettingsDiff.Describe(desired, asCreated with { EnableIpv6 = false }).ToArray());
        Assert.Equal(["ipam"], ResourceSettingsDiff.Describe(desired, asCreated with { Ipam = desired.Ipam with { Pools = [desired.Ipam.Pools[0] with { Subnet = "172.29.0.0/16" }, desired.Ipam.Pools[1]] } }).ToArray());
    }
}
