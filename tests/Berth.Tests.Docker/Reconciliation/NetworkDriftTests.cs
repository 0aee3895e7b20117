using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// `docker network disconnect` of a replica by hand, on the real engine: the plan says so from the
/// container list, and apply connects it again in place with the service's names, without a restart.
/// </summary>
public sealed class NetworkDriftTests
{
    private static DesiredState ShopState(ReconcileHarness harness)
    {
        var back = Network(harness.StackName, "back");
        var web = Service(harness.StackName, "web", WebContainer(), 2).OnNetwork(back, "shop-web");
        return Desired(harness.Host, Stack(harness.StackName, [web], [back]));
    }

    [Fact]
    public async Task Apply_ReplicaDisconnectedByHand_IsReconnectedWithItsNamesWithoutARestart()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(ShopState(harness));
        var (name, network) = ($"{harness.StackName}-web-1", $"{harness.StackName}_back");
        var before = await harness.InspectAsync(name);
        await harness.Client.Networks.DisconnectNetworkAsync(network, new NetworkDisconnectParameters { Container = name });

        var preview = await harness.PlanAsync(ShopState(harness));
        var result = await harness.ApplyConvergedAsync(ShopState(harness));

        var expected = $"reconnect container {name} to network {network}: disconnected outside berth";
        Assert.Contains(expected, preview.ToString(), StringComparison.Ordinal);
        Assert.Contains(expected, result.Plan.ToString(), StringComparison.Ordinal);
        var after = await harness.InspectAsync(name);
        Assert.Equal(before.ID, after.ID);
        Assert.Equal(before.State.StartedAt, after.State.StartedAt);
        Assert.True(after.State.Running);
        // Docker's DNS answers the service's names from the endpoint's aliases.
        var aliases = after.NetworkSettings.Networks[network].Aliases;
        Assert.Contains("web", aliases);
        Assert.Contains("shop-web", aliases);
        Assert.False((await harness.PlanAsync(ShopState(harness))).HasChanges);
    }

    [Fact]
    public async Task Apply_ReplicaBehindAFrontDisconnectedByHand_IsReconnectedWithoutTheServiceNameAndTheFrontForwardsToItsNewAddress()
    {
        await using var harness = new ReconcileHarness();
        var back = Network(harness.StackName, "back");
        var fronted = Desired(harness.Host, Stack(harness.StackName, [Service(harness.StackName, "web", WebContainer(TestImages.BusyboxV1), 2).OnNetwork(back).Fronted()], [back]));
        await harness.ApplyConvergedAsync(fronted);
        var name = $"{harness.StackName}-web-1";
        await harness.Client.Networks.DisconnectNetworkAsync(back.EngineName, new NetworkDisconnectParameters { Container = name });

        var result = await harness.ApplyConvergedAsync(fronted);

        Assert.Contains($"reconnect container {name} to network {back.EngineName}: disconnected outside berth", result.Plan.ToString(), StringComparison.Ordinal);
        // The front holds the service's name; a replica behind it never does (docs/rollout.md, "The front").
        Assert.DoesNotContain("web", (await harness.InspectAsync(name)).NetworkSettings.Networks[back.EngineName].Aliases ?? []);
        // The engine gives the endpoint a new address: a rule still pointing at the old one would fail about
        // every other request the front forwards.
        var probe = await TrafficProbe.StartAsync(harness.Scope, back.EngineName, "http://web:8080/version");
        await probe.WaitForSuccessesAsync(20, TimeSpan.FromSeconds(20));
        Assert.Equal(0, (await probe.CountAsync()).Failed);
    }

    [Fact]
    public async Task Apply_WarnOnlyDrift_ReportsTheDisconnectAndLeavesItDisconnected()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(ShopState(harness));
        var (name, network) = ($"{harness.StackName}-web-2", $"{harness.StackName}_back");
        await harness.Client.Networks.DisconnectNetworkAsync(network, new NetworkDisconnectParameters { Container = name });

        var result = await harness.ApplyAsync(ShopState(harness), new Berth.Reconciler.Reconciliation.ApplyOptions { DriftMode = DriftMode.Warn });

        Assert.Contains($"note: {name}: drift: disconnected from network {network} outside berth", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(network, (await harness.InspectAsync(name)).NetworkSettings.Networks.Keys);
    }
}
