using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>Data is never lost implicitly, nothing berth does not own is touched.</summary>
public sealed class ReconcileSafetyTests
{
    private static (DesiredState WithDb, DesiredState WithoutDb) DbStates(ReconcileHarness harness)
    {
        var stack = harness.StackName;
        var data = Volume(stack, "data");
        var db = Service(stack, "db", Container(Image, "sh", "-c", "echo precious > /data/file; exec sleep 3600")).WithVolume(data, "/data");
        var web = Service(stack, "web", Container());
        return (Desired(harness.Host, Stack(stack, [db, web], volumes: [data])), Desired(harness.Host, Stack(stack, [web])));
    }

    [Fact]
    public async Task Apply_VolumeLeftTheSpec_KeepsItWithItsDataAndReportsItOrphaned()
    {
        await using var harness = new ReconcileHarness();
        var (withDb, withoutDb) = DbStates(harness);
        await harness.ApplyConvergedAsync(withDb);

        var result = await harness.ApplyConvergedAsync(withoutDb);

        Assert.Contains($"note: {harness.StackName}_data: orphaned volume kept", result.Plan.ToString(), StringComparison.Ordinal);
        var reader = await harness.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = Image,
            Cmd = ["cat", "/data/file"],
            Labels = harness.Scope.Labels,
            HostConfig = new HostConfig { Mounts = [new Mount { Type = "volume", Source = $"{harness.StackName}_data", Target = "/data" }] },
        });
        await harness.Client.Containers.StartContainerAsync(reader.ID, new ContainerStartParameters());
        await harness.Client.Containers.WaitContainerAsync(reader.ID);
        using var logs = await harness.Client.Containers.GetContainerLogsAsync(reader.ID, new ContainerLogsParameters { ShowStdout = true });
        var (stdout, _) = await logs.ReadOutputToEndAsync(CancellationToken.None);
        Assert.Equal("precious", stdout.Trim());
    }

    [Fact]
    public async Task Apply_EmptyDesiredState_IsRefusedAndEverythingKeepsRunning()
    {
        await using var harness = new ReconcileHarness();
        var (withDb, _) = DbStates(harness);
        await harness.ApplyConvergedAsync(withDb);

        var result = await harness.ApplyAsync(Desired(harness.Host));

        Assert.Equal(ApplyOutcome.Refused, result.Outcome);
        Assert.Contains("would remove all 2 managed container(s)", result.Summary, StringComparison.Ordinal);
        foreach (var name in await harness.ManagedContainerNamesAsync())
        {
            Assert.True((await harness.InspectAsync(name)).State.Running, name);
        }

        var allowed = await harness.ApplyAsync(Desired(harness.Host) with { Settings = new RepositorySettings(AllowEmptyState: true) });
        Assert.Equal(ApplyOutcome.Converged, allowed.Outcome);
        Assert.Empty(await harness.ManagedContainerNamesAsync());
    }

    [Fact]
    public async Task Apply_UnmanagedContainerHoldsTheName_LeavesItAloneAndDeploysTheRest()
    {
        await using var harness = new ReconcileHarness();
        var (withDb, _) = DbStates(harness);
        var squatter = await harness.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"{harness.StackName}-web-1",
            Image = Image,
            Cmd = ["sleep", "3600"],
            Labels = harness.Scope.Labels,
            HostConfig = new HostConfig { Init = true },
        });
        await harness.Client.Containers.StartContainerAsync(squatter.ID, new ContainerStartParameters());

        var result = await harness.ApplyAsync(withDb);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        Assert.Contains($"container name {harness.StackName}-web-1 is taken by a container berth does not own", result.Summary, StringComparison.Ordinal);
        var untouched = await harness.InspectAsync($"{harness.StackName}-web-1");
        Assert.Equal(squatter.ID, untouched.ID);
        Assert.True(untouched.State.Running);
        Assert.False(untouched.Config.Labels.ContainsKey("io.berth.managed-by"));
        Assert.True((await harness.InspectAsync($"{harness.StackName}-db-1")).State.Running);
    }

    [Fact]
    public async Task Apply_TwoHostIdentitiesOnOneEngine_NeverTouchEachOther()
    {
        await using var first = new ReconcileHarness();
        await using var second = new ReconcileHarness();
        await first.ApplyConvergedAsync(DbStates(first).WithDb);
        await second.ApplyConvergedAsync(DbStates(second).WithDb);

        var emptied = await first.ApplyAsync(Desired(first.Host) with { Settings = new RepositorySettings(AllowEmptyState: true, PruneVolumes: true) });

        Assert.Equal(ApplyOutcome.Converged, emptied.Outcome);
        Assert.Empty(await first.ManagedContainerNamesAsync());
        Assert.Equal([$"{second.StackName}-db-1", $"{second.StackName}-web-1"], await second.ManagedContainerNamesAsync());
        Assert.False((await second.PlanAsync(DbStates(second).WithDb)).HasChanges);
    }
}
