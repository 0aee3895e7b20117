using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// `docker update` of a replica by hand, on the real engine: only an inspect shows it, so the CLI sees it
/// with a drift check (`--drift-check`) and the daemon after the `update` event (one targeted inspect).
/// </summary>
public sealed class UpdateDriftTests
{
    private const long SixtyFourMiB = 64L << 20;

    private static DesiredState LimitedState(ReconcileHarness harness) =>
        Desired(harness.Host, Stack(harness.StackName, [Service(harness.StackName, "web", WebContainer() with { Limits = new ResourceLimits(null, SixtyFourMiB, null) })]));

    private static Task<Plan> PlanAsync(ReconcileHarness harness, DriftCheckScope driftCheck) =>
        harness.Reconciler.PlanAsync(LimitedState(harness), DriftMode.Repair, CancellationToken.None, null, driftCheck);

    [Fact]
    public async Task DriftCheck_MemoryRaisedByHand_IsShownAndSetBackInPlaceWithoutARestart()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(LimitedState(harness));
        var name = $"{harness.StackName}-web-1";
        var before = await harness.InspectAsync(name);
        await harness.Client.Containers.UpdateContainerAsync(name, new ContainerUpdateParameters { Memory = 96L << 20 });

        var withoutCheck = await PlanAsync(harness, DriftCheckScope.None);
        var withCheck = await PlanAsync(harness, DriftCheckScope.Everything);
        var result = await harness.ApplyAsync(LimitedState(harness), new ApplyOptions { DriftCheck = DriftCheckScope.Everything });

        // The list cannot show a limit: without a drift check the plan does not see it.
        Assert.False(withoutCheck.HasChanges);
        var expected = $"update container {name}: changed outside berth (docker update): mem_limit";
        Assert.Contains(expected, withCheck.ToString(), StringComparison.Ordinal);
        Assert.Equal(ApplyOutcome.Applied, result.Outcome);
        Assert.Contains(expected, result.Plan.ToString(), StringComparison.Ordinal);
        var after = await harness.InspectAsync(name);
        Assert.Equal(SixtyFourMiB, after.HostConfig.Memory);
        Assert.Equal(before.ID, after.ID);
        Assert.Equal(before.State.StartedAt, after.State.StartedAt);
        Assert.False((await PlanAsync(harness, DriftCheckScope.Everything)).HasChanges);
    }

    [Fact]
    public async Task DriftCheck_RestartPolicyChangedWithTheDockerCli_IsShownAndRestoredByAReplacement()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(LimitedState(harness));
        var name = $"{harness.StackName}-web-1";
        await DockerCli.RunAsync("update", "--restart", "always", name);
        Assert.Equal(RestartPolicyKind.Always, (await harness.InspectAsync(name)).HostConfig.RestartPolicy.Name);

        var plan = await PlanAsync(harness, DriftCheckScope.Everything);
        var result = await harness.ApplyAsync(LimitedState(harness), new ApplyOptions { DriftCheck = DriftCheckScope.Everything });

        var expected = $"replace container {name} ({harness.StackName}/web #1, start-first): changed outside berth (docker update): restart";
        Assert.Contains(expected, plan.ToString(), StringComparison.Ordinal);
        Assert.Equal(ApplyOutcome.Applied, result.Outcome);
        Assert.Equal(RestartPolicyKind.No, (await harness.InspectAsync(name)).HostConfig.RestartPolicy.Name);
        Assert.False((await PlanAsync(harness, DriftCheckScope.Everything)).HasChanges);
    }

    [Fact]
    public async Task Daemon_UpdateEventOfAReplica_NextPassInspectsOnlyItAndSetsItBack()
    {
        await using var host = await InformerTests.InformedHost.DeployAsync(harness => Desired(harness.Host, Stack(harness.StackName,
        [
            Service(harness.StackName, "api", WebContainer() with { Limits = new ResourceLimits(null, SixtyFourMiB, null) }),
            Service(harness.StackName, "web", WebContainer() with { Limits = new ResourceLimits(null, SixtyFourMiB, null) }),
        ])));
        host.DriftChecks = true;
        var name = $"{host.Harness.StackName}-web-1";
        // The first pass checks every replica (the daemon was not listening before); then idle passes check none.
        await host.UntilAPassIsServedFromTheCacheAsync();
        var id = (await host.Harness.InspectAsync(name)).ID;

        await host.Harness.Client.Containers.UpdateContainerAsync(name, new ContainerUpdateParameters { Memory = 96L << 20 });
        var repaired = await host.PassOnceTheInformerHeardAsync(EngineEventActions.Update, id);

        var inspects = host.Requests.Requests.Where(request => request.StartsWith("GET /containers/", StringComparison.Ordinal)
            && request.EndsWith("/json", StringComparison.Ordinal) && request != "GET /containers/json").ToList();
        Assert.Equal([$"GET /containers/{id}/json"], inspects);
        Assert.Contains($"update container {name}: changed outside berth (docker update): mem_limit", repaired.Plan.ToString(), StringComparison.Ordinal);
        Assert.Equal(ApplyOutcome.Applied, repaired.Outcome);
        Assert.Equal(SixtyFourMiB, (await host.Harness.InspectAsync(name)).HostConfig.Memory);
    }
}
