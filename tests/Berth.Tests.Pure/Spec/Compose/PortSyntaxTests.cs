using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

public sealed class PortSyntaxTests
{
    [Theory]
    [InlineData("\"80\"", 80, null, "", PortProtocol.Tcp)]
    [InlineData("\"8080:80\"", 80, 8080, "", PortProtocol.Tcp)]
    [InlineData("\"127.0.0.1:8080:80/udp\"", 80, 8080, "127.0.0.1", PortProtocol.Udp)]
    [InlineData("\"127.0.0.1::80\"", 80, null, "127.0.0.1", PortProtocol.Tcp)]
    [InlineData("\"[::1]:8080:80\"", 80, 8080, "::1", PortProtocol.Tcp)]
    [InlineData("\"53:53/sctp\"", 53, 53, "", PortProtocol.Sctp)]
    public void ShortSyntax_OnePort_MapsToPortSpec(string item, int target, int? published, string hostIp, PortProtocol protocol)
    {
        var service = LoadService($"image: busybox\nports: [{item}]");

        Assert.Equal([new PortSpec(target, published, hostIp, protocol)], service.Container.Ports.ToArray());
    }

    [Fact]
    public void ShortSyntax_Ranges_ExpandToOnePortEach()
    {
        var service = LoadService("image: busybox\nports: [\"8000-8001:80-81\", \"3000-3001\"]");

        Assert.Equal(
            [new PortSpec(80, 8000, "", PortProtocol.Tcp), new PortSpec(81, 8001, "", PortProtocol.Tcp), new PortSpec(3000, null, "", PortProtocol.Tcp), new PortSpec(3001, null, "", PortProtocol.Tcp)],
            service.Container.Ports.ToArray());
    }

    [Fact]
    public void ShortSyntax_EmptyHostAddress_IsAllAddressesLikeNoHostAddress()
    {
        // "${BIND:-}:443:443" with BIND unset: Docker and Compose take an empty host address as "all addresses".
        var withEmptyAddress = LoadService("image: busybox\nports: [\"${BIND:-}:443:443\", \":53:53/udp\", \"::80\"]");
        var without = LoadService("image: busybox\nports: [\"443:443\", \"53:53/udp\", \"80\"]");

        Assert.Equal(
            [new PortSpec(53, 53, "", PortProtocol.Udp), new PortSpec(80, null, "", PortProtocol.Tcp), new PortSpec(443, 443, "", PortProtocol.Tcp)],
            withEmptyAddress.Container.Ports.OrderBy(port => port.Target).ToArray());
        Assert.Equal(without.ConfigHash, withEmptyAddress.ConfigHash);
    }

    [Fact]
    public void LongSyntax_SameAsShort_GivesTheSameHash()
    {
        var shortForm = LoadService("image: busybox\nports: [\"127.0.0.1:8080:80/udp\"]");
        var longForm = LoadService("image: busybox\nports:\n  - target: 80\n    published: \"8080\"\n    host_ip: 127.0.0.1\n    protocol: udp\n    mode: host\n    name: web");

        Assert.Equal(shortForm.Container.Ports.ToArray(), longForm.Container.Ports.ToArray());
        Assert.Equal(shortForm.ConfigHash, longForm.ConfigHash);
    }

    [Theory]
    [InlineData("\"99999\"", "4:13: services.web.ports: invalid port '99999': target port must be a port (1-65535) or a range like 8000-8005")]
    [InlineData("\"8080:80/icmp\"", "4:13: services.web.ports: invalid port '8080:80/icmp': protocol must be tcp, udp or sctp")]
    [InlineData("\"8000-8002:80-81\"", "4:13: services.web.ports: invalid port '8000-8002:80-81': published and target port ranges must have the same length")]
    [InlineData("\"a:b:c:d\"", "4:13: services.web.ports: invalid port 'a:b:c:d': expected [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]")]
    [InlineData("{ published: 80 }", "4:13: services.web.ports: a port needs 'target'")]
    [InlineData("{ target: 0 }", "4:23: services.web.ports.target must be an integer from 1 to 65535, not '0'")]
    public void InvalidPorts_AreErrorsAtTheItem(string item, string expected)
    {
        var errors = Errors($"services:\n  web:\n    image: busybox\n    ports: [{item}]\n");

        Assert.Equal([expected], errors);
    }

    [Fact]
    public void InvalidExpose_IsAnErrorAtTheItem()
    {
        Assert.Equal(
            ["4:14: services.web.expose: invalid port '80/http' (expected PORT, PORT-PORT, optionally /tcp, /udp or /sctp)"],
            Errors("services:\n  web:\n    image: busybox\n    expose: [80/http]\n"));
    }
}
