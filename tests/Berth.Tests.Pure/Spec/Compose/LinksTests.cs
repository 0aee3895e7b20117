using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

/// <summary>Compose `links`: ordering as depends_on; an alias other than the service's name is refused with the alternative.</summary>
public sealed class LinksTests
{
    [Fact]
    public void Links_ServiceName_StartsAfterItAndChangesNothingElse()
    {
        var stack = LoadStack("services:\n  web:\n    image: busybox\n    links: [db, \"cache:cache\"]\n  db:\n    image: busybox\n  cache:\n    image: busybox\n");
        var plain = LoadStack("services:\n  web:\n    image: busybox\n    depends_on: [db, cache]\n  db:\n    image: busybox\n  cache:\n    image: busybox\n");

        var web = stack.Services.Single(service => service.Name == "web");
        Assert.Equal(
            [new ServiceDependency("cache", DependencyCondition.ServiceStarted, false, true), new ServiceDependency("db", DependencyCondition.ServiceStarted, false, true)],
            web.DependsOn.ToArray());
        Assert.Equal(plain.Services.Single(service => service.Name == "web").ConfigHash, web.ConfigHash);
        Assert.Equal(plain.Services.Single(service => service.Name == "db").ConfigHash, stack.Services.Single(service => service.Name == "db").ConfigHash);
    }

    [Fact]
    public void Links_ExplicitDependsOn_Wins()
    {
        var stack = LoadStack("services:\n  web:\n    image: busybox\n    links: [db]\n    depends_on: { db: { condition: service_healthy } }\n  db:\n    image: busybox\n    healthcheck: { test: [CMD, \"true\"] }\n");

        Assert.Equal(DependencyCondition.ServiceHealthy, stack.Services.Single(service => service.Name == "web").DependsOn.Single().Condition);
    }

    [Theory]
    [InlineData("    links: [\"db:database\"]\n", "4:13: services.web.links: the alias 'database' for 'db' is not supported by berth: Compose makes it a name only 'web' resolves; give 'db' a network alias instead (services.db.networks.NETWORK.aliases: [database]), which every container on that network resolves, or write 'db' and use that name")]
    [InlineData("    links: [dbb]\n", "4:13: services.web.links: unknown service 'dbb', did you mean 'db'?")]
    [InlineData("    links: [web]\n", "4:13: services.web.links: service 'web' links to itself")]
    [InlineData("    links: [\"a:b:c\"]\n", "4:13: services.web.links: 'a:b:c' is not SERVICE or SERVICE:ALIAS")]
    [InlineData("    links: db\n", "4:12: services.web.links must be a list, not a string")]
    [InlineData("    links: [db]\n    networks: [front]\n", "4:13: services.web.links: 'web' and 'db' share no network, so 'db' cannot be reached; put both on one network")]
    [InlineData("    links: [db]\n    network_mode: host\n", "4:13: services.web.links: 'web' uses network_mode; a link needs both services on a shared network")]
    public void Links_Invalid_AreErrorsAtTheLink(string webLines, string expected)
    {
        var yaml = "services:\n  web:\n    image: busybox\n" + webLines + "  db:\n    image: busybox\nnetworks:\n  front: {}\n";

        Assert.Equal([expected], Errors(yaml));
    }

    [Fact]
    public void Links_ToAServiceOfAnInactiveProfile_IsOneErrorAtTheLink()
    {
        var errors = Errors("services:\n  web:\n    image: busybox\n    links: [db]\n  db:\n    image: busybox\n    profiles: [dev]\n");

        var error = Assert.Single(errors);
        Assert.StartsWith("4:13: service 'web' depends on 'db', which runs only with profile 'dev'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Links_InACycle_AreReportedAsACycle()
    {
        var errors = Errors("services:\n  web:\n    image: busybox\n    links: [db]\n  db:\n    image: busybox\n    links: [web]\n");

        Assert.Contains(errors, error => error.Contains("cycle", StringComparison.Ordinal));
    }
}
