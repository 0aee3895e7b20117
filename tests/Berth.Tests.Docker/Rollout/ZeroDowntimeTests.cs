using Xunit.Abstractions;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Rollout;

[Collection(MeasuredTrafficCollection.Name)]
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
        ApplyResult result = null!;
        var load = await probe.MeasureAsync(async () => result = await harness.ApplyConvergedAsync(State(TestImages.BusyboxV2)));

        output.WriteLine(load.ToString());
        Assert.Contains("start-first", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.True(load.Rate >= 20, $"the probe sent only {load.Rate:0.0} requests/s during the rollout");
        Assert.True(load.Failed <= 2, $"{load.Failed} requests failed during a 2-replica rollout (at most 1 per replaced replica is explained by Docker's leave)");
        Assert.Equal("2", load.LastBody);
    }
}
