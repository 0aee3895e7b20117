using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>Changes made by hand are repaired on the next pass (or only reported in warn-only mode).</summary>
public sealed class ReconcileDriftTests
{
    private static DesiredState WebState(ReconcileHarness harness) =>
        Desired(harness.Host, Stack(harness.StackName, [Service(harness.StackName, "web", WebContainer(), 2)]));

    [Fact]
    public async Task Apply_ContainerStoppedByHand_IsStartedAgain()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var name = $"{harness.StackName}-web-1";
        await harness.Client.Containers.StopContainerAsync(name, new ContainerStopParameters { WaitBeforeKillSeconds = 1 });

        var result = await harness.ApplyConvergedAsync(WebState(harness));

        Assert.Contains($"start container {name}: not running", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.True((await harness.InspectAsync(name)).State.Running);
    }

    [Fact]
    public async Task Apply_RevisionFailedBefore_DriftInAnotherServiceIsRepairedAndTheFailedServiceIsHeld()
    {
        await using var harness = new ReconcileHarness();
        var stack = harness.StackName;
        var web = Service(stack, "web", WebContainer()) with { Update = FastUpdate, Rollback = FastRollback };
        var api = Service(stack, "api", WebContainer()) with { Update = FastUpdate, Rollback = FastRollback };
        await harness.ApplyConvergedAsync(Desired(harness.Host, Stack(stack, [api, web])));
        var brokenApi = api.WithContainer(container => container with { HealthCheck = FastHealthCheck("echo api says no; exit 1") });
        var broken = Desired(harness.Host, Stack(stack, [brokenApi, web]));
        var failed = await harness.ApplyAsync(broken);
        Assert.Equal(ApplyOutcome.Failed, failed.Outcome);
        var apiId = (await harness.ContainerIdsAsync())[$"{stack}-api-1"];

        // While the revision is held, someone stops web by hand. The preview shows what apply will do.
        await harness.Client.Containers.StopContainerAsync($"{stack}-web-1", new ContainerStopParameters { WaitBeforeKillSeconds = 1 });
        var preview = (await harness.PlanAsync(broken, failed.Revision)).ToString();
        Assert.Contains($"start container {stack}-web-1: not running", preview, StringComparison.Ordinal);
        Assert.DoesNotContain($"{stack}-api-1", preview, StringComparison.Ordinal);
        Assert.Contains($"note: {stack}/api: held back: its rollout of revision", preview, StringComparison.Ordinal);
        var held = await harness.ApplyAsync(broken);

        Assert.Equal(ApplyOutcome.SkippedFailedRevision, held.Outcome);
        Assert.Contains($"start container {stack}-web-1: not running", held.Plan.ToString(), StringComparison.Ordinal);
        Assert.Contains($"note: {stack}/api: held back: its rollout of revision", held.Plan.ToString(), StringComparison.Ordinal);
        Assert.True((await harness.InspectAsync($"{stack}-web-1")).State.Running);
        Assert.Equal(apiId, (await harness.ContainerIdsAsync())[$"{stack}-api-1"]);
        var record = Assert.Single((await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None)).FailedRevisions).Value;
        Assert.Equal<string>([$"{stack}/api"], record.Services);
    }

    [Fact]
    public async Task Apply_ContainerRemovedByHand_IsRecreated()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var name = $"{harness.StackName}-web-2";
        await harness.Client.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true });

        var result = await harness.ApplyConvergedAsync(WebState(harness));

        Assert.Contains($"create container {name} ({harness.StackName}/web #2): removed outside berth", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.Equal("healthy", (await harness.InspectAsync(name)).State.Health.Status);
    }

    [Fact]
    public async Task Apply_ContainerRecreatedByHandWithOtherSettings_IsReplaced()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var name = $"{harness.StackName}-web-1";
        var original = await harness.InspectAsync(name);
        await harness.Client.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true });
        // Someone re-creates it by hand, copying berth's labels but changing the environment.
        var imposter = await harness.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = Image,
            Cmd = original.Config.Cmd,
            Env = ["HAND_MADE=1"],
            Labels = original.Config.Labels,
            HostConfig = new HostConfig { Init = true },
        });
        await harness.Client.Containers.StartContainerAsync(imposter.ID, new ContainerStartParameters());

        var result = await harness.ApplyConvergedAsync(WebState(harness));

        Assert.Contains($"replace container {name} ({harness.StackName}/web #1, start-first): re-created outside berth", result.Plan.ToString(), StringComparison.Ordinal);
        var repaired = await harness.InspectAsync(name);
        Assert.NotEqual(imposter.ID, repaired.ID);
        Assert.DoesNotContain("HAND_MADE=1", repaired.Config.Env);
        Assert.False((await harness.PlanAsync(WebState(harness))).HasChanges);
    }

    [Fact]
    public async Task Apply_WarnOnlyDrift_ReportsAStoppedContainerWithoutStartingIt()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var name = $"{harness.StackName}-web-1";
        await harness.Client.Containers.StopContainerAsync(name, new ContainerStopParameters { WaitBeforeKillSeconds = 1 });

        var result = await harness.ApplyAsync(WebState(harness), new ApplyOptions { DriftMode = DriftMode.Warn });

        Assert.Contains($"note: {name}: drift: not running", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.False((await harness.InspectAsync(name)).State.Running);
    }
}
