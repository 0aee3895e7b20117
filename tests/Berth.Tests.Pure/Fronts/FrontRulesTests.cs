using Berth.Reconciler.Fronts;

namespace Berth.Tests.Fronts;

public sealed class FrontRulesTests
{
    private const string Header = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
    private const string Footer = "-A POSTROUTING -m conntrack --ctstate DNAT -j MASQUERADE\nCOMMIT\n";

    [Fact]
    public void NoBackend_NoForwarding_SoTheFrontRefusesAtOnce()
    {
        Assert.Equal(Header + Footer, FrontRules.NatTable([]));
    }

    [Fact]
    public void ThreeBackends_EachGetsAThird_TheLastCatchesTheRest()
    {
        Assert.Equal(
            Header
            + "-A PREROUTING -m addrtype --dst-type LOCAL -m statistic --mode random --probability 0.33333333 -j DNAT --to-destination 172.18.0.3\n"
            + "-A PREROUTING -m addrtype --dst-type LOCAL -m statistic --mode random --probability 0.50000000 -j DNAT --to-destination 172.18.0.4\n"
            + "-A PREROUTING -m addrtype --dst-type LOCAL -j DNAT --to-destination 172.18.0.5\n"
            + Footer,
            FrontRules.NatTable(["172.18.0.3", "172.18.0.4", "172.18.0.5"]));
    }

    [Theory]
    [InlineData("172.18.0.3 -j ACCEPT")]
    [InlineData("fd00::3")]
    [InlineData("")]
    public void AnythingButAnIPv4Address_IsRefused_NeverWrittenIntoTheRules(string address)
    {
        Assert.Throws<ArgumentException>(() => FrontRules.NatTable([address]));
    }

    [Fact]
    public void StaticBusybox_IsRecognised_ADynamicBinaryIsNot()
    {
        Assert.True(FrontImage.IsStaticElf(File.ReadAllBytes(FrontImage.BusyboxPath)));
        Assert.False(FrontImage.IsStaticElf(File.ReadAllBytes("/bin/sh")));
        Assert.False(FrontImage.IsStaticElf("#!/bin/sh\necho not an elf\n"u8));
    }

    [Fact]
    public void DynamicBusybox_IsAClearError()
    {
        var error = Assert.Throws<FrontRoutingException>(() => FrontImage.ReadHostBusybox("/bin/sh"));
        Assert.Contains("install busybox-static", error.Message, StringComparison.Ordinal);
    }
}
