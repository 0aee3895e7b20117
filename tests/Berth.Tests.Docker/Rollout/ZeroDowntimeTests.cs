using Xunit.Abstractions;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Rollout;

public sealed class ZeroDowntimeTests(ITestOutputHelper output)
{
    /// <remarks>
    /// What Docker's embedded DNS allows (measured, see docs/rollout.md): a container joining with the
    /// alias after its gate never fails a request; a container leaving can fail the requests in flight
    /// to it at that instant (its interface goes before its DNS record). So the guarantee asserted is:
    /// no failure while new containers prove themselves, and at most one failed request per replaced
    /// replica at this request rate. The failure count is printed so CI logs show the real number.
    /// </remarks>
    [Fact]
    public async Task StartFirstRollout_TwoReplicasUnderLoad_FailsAtMostTheRequestsInFlightWhenAReplicaLeaves()
    {
        await using var harness = new ReconcileHarness();
        var stack = harness.StackName;
        var backend = Network(stack, "backend");
        DesiredState State(string image) => Desired(harness.Host, Stack(stack,
            [Service(stack, "web", WebContainer(image), 2).OnNetwork(backend)], [backend]));
        await harness.ApplyConvergedAsync(State(TestImages.BusyboxV1));
        var probe = await TrafficProbe.StartAsync(harness.Scope, backend.EngineName, "http://web:8080/version");
        var before = await probe.CountAsync();
        var rolloutTimer = System.Diagnostics.Stopwatch.StartNew();

        var result = await harness.ApplyConvergedAsync(State(TestImages.BusyboxV2));
        rolloutTimer.Stop();
        var during = await probe.CountAsync();
        // The log stream lags the requests slightly: wait for answers made after the rollout returned.
        await probe.WaitForSuccessesAsync(during.Ok + 5, TimeSpan.FromSeconds(10));
        var after = await probe.CountAsync();

        var requestsDuringRollout = during.Ok + during.Failed - before.Ok - before.Failed;
        var rate = requestsDuringRollout / rolloutTimer.Elapsed.TotalSeconds;
        output.WriteLine($"rollout {rolloutTimer.Elapsed.TotalSeconds:0.0}s, {requestsDuringRollout} requests ({rate:0.0}/s), {after.Failed} failed");
        Assert.Contains("start-first", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.True(rate >= 20, $"the probe sent only {rate:0.0} requests/s during the rollout");
        Assert.True(after.Failed <= 2, $"{after.Failed} requests failed during a 2-replica rollout (at most 1 per replaced replica is explained by Docker's leave)");
        Assert.Equal("2", after.Bodies[^1]);
    }
}
