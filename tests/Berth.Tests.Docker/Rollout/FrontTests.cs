using Berth.Reconciler.Engine;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using Xunit.Abstractions;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Rollout;

/// <summary>x-berth.front against the real engine: the handover that Docker's DNS alone cannot make lossless.</summary>
[Collection(MeasuredTrafficCollection.Name)]
public sealed class FrontTests(ITestOutputHelper output)
{
    private static DesiredState State(ReconcileHarness harness, string image, bool front = true)
    {
        var stack = harness.StackName;
        var backend = Network(stack, "backend");
        var web = Service(stack, "web", WebContainer(image), 2).OnNetwork(backend);
        return Desired(harness.Host, Stack(stack, [front ? web.Fronted() : web], [backend]));
    }

    /// <summary>Issue #5's measure: a client resolving the alias afresh for every request, 20+ a second, sees no failure.</summary>
    [Fact]
    public async Task StartFirstRollout_TwoReplicasBehindAFront_NoRequestFails()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(State(harness, TestImages.BusyboxV1));
        var probe = await TrafficProbe.StartAsync(harness.Scope, Network(harness.StackName, "backend").EngineName, "http://web:8080/version");
        ApplyResult result = null!;
        var load = await probe.MeasureAsync(async () => result = await harness.ApplyConvergedAsync(State(harness, TestImages.BusyboxV2)));

        output.WriteLine(load.ToString());
        Assert.Contains("start-first", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.True(load.Rate >= 20, $"the probe sent only {load.Rate:0.0} requests/s during the rollout");
        Assert.Equal(0, load.Failed);
        Assert.Equal("2", load.LastBody);
    }

    [Fact]
    public async Task Front_HoldsTheAliasesWhileReplicasDoNot_AndTheNextPassReprogramsARestartedFront()
    {
        await using var harness = new ReconcileHarness();
        var first = await harness.ApplyConvergedAsync(State(harness, TestImages.BusyboxV1));
        Assert.Contains($"create front {harness.StackName}-web-front", first.Plan.ToString(), StringComparison.Ordinal);
        var network = Network(harness.StackName, "backend").EngineName;
        var front = await harness.InspectAsync($"{harness.StackName}-web-front");
        Assert.Contains("web", front.NetworkSettings.Networks[network].Aliases);
        foreach (var replica in new[] { 1, 2 })
        {
            var inspected = await harness.InspectAsync($"{harness.StackName}-web-{replica}");
            Assert.DoesNotContain("web", inspected.NetworkSettings.Networks[network].Aliases ?? []);
        }

        // It forwards out of the interface traffic came in on: it must not send ICMP redirects, which
        // would tell clients to send the front's traffic to a replica directly.
        Assert.Equal("0\n", await InFrontNamespaceAsync(front.State.Pid, "cat /proc/sys/net/ipv4/conf/eth*/send_redirects | sort -u"));
        var probe = await TrafficProbe.StartAsync(harness.Scope, network, "http://web:8080/version");

        // A restart (a reboot, `docker restart`) gives the front a new network namespace without rules:
        // it answers nothing until berth's next pass, which needs no plan step to put them back.
        await harness.Client.Containers.RestartContainerAsync(front.ID, new ContainerRestartParameters { WaitBeforeKillSeconds = 0 });
        await probe.WaitForFailuresAsync(1, TimeSpan.FromSeconds(20));
        var repaired = await harness.ApplyConvergedAsync(State(harness, TestImages.BusyboxV1));
        Assert.False(repaired.Plan.HasChanges, repaired.Plan.ToString());
        var afterRepair = await probe.CountAsync();
        await probe.WaitForSuccessesAsync(afterRepair.Ok + 5, TimeSpan.FromSeconds(10));

        // Off again: replicas are replaced with the aliases, then the front goes.
        var off = await harness.ApplyConvergedAsync(State(harness, TestImages.BusyboxV1, front: false));
        Assert.Contains($"remove front {harness.StackName}-web-front: x-berth.front is off", off.Plan.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain($"{harness.StackName}-web-front", await harness.ManagedContainerNamesAsync());
        var afterOff = await probe.CountAsync();
        await probe.WaitForSuccessesAsync(afterOff.Ok + 5, TimeSpan.FromSeconds(10));
    }

    /// <summary>A front that could not be programmed must not hold the service's names: nothing would answer.</summary>
    [Fact]
    public async Task Front_WhoseRulesCannotBeInstalled_IsRemovedAndTheServiceFailsSayingWhy()
    {
        await using var harness = new ReconcileHarness();
        var reconciler = new HostReconciler(harness.Engine, harness.StateStore, TimeProvider.System, new RefusingRules());

        var result = await reconciler.ApplyAsync(State(harness, TestImages.BusyboxV1), "rev1", new ApplyOptions(), _ => { }, CancellationToken.None);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        Assert.Contains("iptables-restore: Permission denied (test)", result.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain($"{harness.StackName}-web-front", await harness.ManagedContainerNamesAsync());
    }

    /// <summary>Turning the front off with a version that fails: the rollback keeps the front, which keeps forwarding.</summary>
    [Fact]
    public async Task FrontTurnedOff_WithAFailingVersion_TheFrontStaysAndKeepsServing()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(State(harness, TestImages.BusyboxV1));
        var probe = await TrafficProbe.StartAsync(harness.Scope, Network(harness.StackName, "backend").EngineName, "http://web:8080/version");
        var broken = State(harness, TestImages.BusyboxV2, front: false);
        broken = broken with
        {
            Stacks = [broken.Stacks[0] with { Services = [broken.Stacks[0].Services[0].WithContainer(container => container with { HealthCheck = FastHealthCheck("exit 1") })] }],
        };

        var load = await probe.MeasureAsync(async () =>
        {
            var result = await harness.ApplyAsync(broken);
            Assert.Equal(ApplyOutcome.Failed, result.Outcome);
            Assert.Contains("kept: the service did not converge without it", string.Join('\n', result.Report!.Steps.Select(step => step.Message)), StringComparison.Ordinal);
        });

        output.WriteLine(load.ToString());
        Assert.Contains($"{harness.StackName}-web-front", await harness.ManagedContainerNamesAsync());
        Assert.Equal(0, load.Failed);
        Assert.Equal("1", load.LastBody);
    }

    private sealed class RefusingRules : Berth.Reconciler.Fronts.IFrontRules
    {
        public Task ApplyAsync(int frontPid, string natTable, CancellationToken cancellationToken) =>
            throw new Berth.Reconciler.Fronts.FrontRoutingException("could not program the front's forwarding rules (nsenter … iptables-restore): iptables-restore: Permission denied (test)");
    }

    private static async Task<string> InFrontNamespaceAsync(long pid, string script)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("nsenter", [$"--net=/proc/{pid}/ns/net", "sh", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
        return output;
    }
}
