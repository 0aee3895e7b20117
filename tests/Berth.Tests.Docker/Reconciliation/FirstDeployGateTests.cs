using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Issue #16: a first deploy (nothing to roll back to) whose health check fails its first probes (a
/// host busy with the deploy itself) ends converged, as compose's deploy would end healthy; berth
/// waits for the check to recover instead of failing at the first "unhealthy".
/// </summary>
public sealed class FirstDeployGateTests
{
    [Fact]
    public async Task FirstDeploy_UnhealthyForItsFirstProbes_KeepsWaitingAndConverges()
    {
        await using var harness = new ReconcileHarness();
        // Ready 4 s after start; probed every second with retries 1, so it is unhealthy after the first
        // failed probe, about 3 s before it turns healthy.
        var lateToReady = Container(Image, "sh", "-c", "(sleep 4 && touch /tmp/ready) & exec sleep 3600") with
        {
            HealthCheck = new HealthCheckSpec(["CMD-SHELL", "test -f /tmp/ready"], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero, 1),
        };
        // A network of its own: the test does not depend on the engine's default bridge.
        var network = Network(harness.StackName, "backend");
        var service = Service(harness.StackName, "late", lateToReady).OnNetwork(network) with { Update = FastUpdate };

        var result = await harness.ApplyAsync(Desired(harness.Host, Stack(harness.StackName, [service], [network])));

        Assert.True(result.Outcome == ApplyOutcome.Applied, $"{result.Outcome}: {result.Summary}");
        var health = (await harness.InspectAsync($"{harness.StackName}-late-1")).State.Health;
        Assert.Equal("healthy", health.Status);
        // The engine's own record: it was unhealthy first (failed probes before the passing ones).
        Assert.Contains(health.Log, probe => probe.ExitCode != 0);
    }
}
