using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// A network's `ipam` and `enable_ipv6`, and a service's fixed `ipv4_address` / `ipv6_address`, on the
/// real engine: the container holds the address it was given, a new address replaces it (stop-first, so
/// no "address already in use"), and a converged host plans nothing.
/// </summary>
public sealed class NetworkAddressTests
{
    private static DesiredState Load(TestRepository repository, ReconcileHarness harness, string subnet4, string subnet6, string address4, string address6)
    {
        var stack = harness.StackName;
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{}}\nstacks:\n  {stack}:\n    compose: stacks/{stack}/compose.yaml\n    hosts: [{harness.Host}]\n");
        repository.Write($"stacks/{stack}/compose.yaml", $$"""
            name: {{stack}}
            services:
              db:
                image: berth-test/busybox:1
                command: ["sleep", "3600"]
                init: true
                networks:
                  back: { ipv4_address: "{{address4}}", ipv6_address: "{{address6}}" }
            networks:
              back:
                enable_ipv6: true
                ipam:
                  config:
                    - subnet: {{subnet4}}
                    - subnet: "{{subnet6}}"
            """);
        var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host);
        Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        return loaded.State!;
    }

    [Fact]
    public async Task FixedAddresses_AreHeld_AndANewOneReplacesTheContainer()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        // A subnet of its own per run, outside the engine's default pools (172.17-31.x, 192.168.x), from
        // which it gives other tests' networks their subnets: an overlap would refuse the create.
        var second = Random.Shared.Next(200, 250);
        var octet = Random.Shared.Next(1, 250);
        var (subnet4, subnet6) = ($"10.{second}.{octet}.0/24", $"fd00:b:{octet:x}::/64");

        await harness.ApplyConvergedAsync(Load(repository, harness, subnet4, subnet6, $"10.{second}.{octet}.10", $"fd00:b:{octet:x}::10"));

        var network = await harness.Client.Networks.InspectNetworkAsync($"{stack}_back");
        Assert.True(network.EnableIPv6);
        Assert.Equal([subnet4, subnet6], network.IPAM.Config.Select(pool => pool.Subnet).Order(StringComparer.Ordinal));
        var endpoint = (await harness.InspectAsync($"{stack}-db-1")).NetworkSettings.Networks[$"{stack}_back"];
        Assert.Equal(($"10.{second}.{octet}.10", $"fd00:b:{octet:x}::10"), (endpoint.IPAddress, endpoint.GlobalIPv6Address));

        var converged = Load(repository, harness, subnet4, subnet6, $"10.{second}.{octet}.10", $"fd00:b:{octet:x}::10");
        var plan = await harness.PlanAsync(converged);
        Assert.False(plan.HasChanges, plan.ToString());

        var before = (await harness.InspectAsync($"{stack}-db-1")).ID;
        await harness.ApplyConvergedAsync(Load(repository, harness, subnet4, subnet6, $"10.{second}.{octet}.11", $"fd00:b:{octet:x}::10"));

        var replaced = await harness.InspectAsync($"{stack}-db-1");
        Assert.NotEqual(before, replaced.ID);
        Assert.Equal($"10.{second}.{octet}.11", replaced.NetworkSettings.Networks[$"{stack}_back"].IPAddress);
        Assert.Equal([$"{stack}-db-1"], await harness.ManagedContainerNamesAsync());
    }
}
