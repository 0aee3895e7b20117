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
        Assert.Equal(ApplyOutcome.Applied, allowed.Outcome);
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

        // The host's state, not the revision, was the problem: once the operator removes the squatter,
        // the same revision applies (it was not recorded as failed).
        Assert.Empty((await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None)).FailedRevisions);
        await harness.Client.Containers.RemoveContainerAsync(squatter.ID, new ContainerRemoveParameters { Force = true });
        await harness.ApplyConvergedAsync(withDb);
        Assert.Equal([$"{harness.StackName}-db-1", $"{harness.StackName}-web-1"], await harness.ManagedContainerNamesAsync());
    }

    [Fact]
    public async Task Apply_NetworkAndVolumeWithBerthsOwnerLabelsButNoStack_AreLeftAloneAndThePassGoesOn()
    {
        // berth always labels what it creates with its stack. A network or volume that carries only the
        // owner labels (made by hand, by another tool, or forged) must neither stop every pass (observe
        // used to throw on the missing label) nor be treated as berth's: it is left alone.
        await using var harness = new ReconcileHarness();
        var (withDb, _) = DbStates(harness);
        var ownerLabels = new Dictionary<string, string>(harness.Scope.Labels)
        {
            ["io.berth.managed-by"] = "berth",
            ["io.berth.host"] = harness.Host,
        };
        var network = await harness.Client.Networks.CreateNetworkAsync(new NetworksCreateParameters { Name = $"{harness.StackName}_stray", Labels = ownerLabels });
        await harness.Client.Volumes.CreateAsync(new VolumesCreateParameters { Name = $"{harness.StackName}_stray", Labels = ownerLabels });

        await harness.ApplyConvergedAsync(withDb);

        Assert.True((await harness.InspectAsync($"{harness.StackName}-db-1")).State.Running);
        Assert.Equal(network.ID, (await harness.Client.Networks.InspectNetworkAsync(network.ID)).ID);
        Assert.Equal($"{harness.StackName}_stray", (await harness.Client.Volumes.InspectAsync($"{harness.StackName}_stray")).Name);
        Assert.False((await harness.PlanAsync(withDb)).HasChanges);
    }

    [Fact]
    public async Task Apply_NetworkAndVolumeSettingsChanged_ReportsWhatDiffersAndTouchesNothing()
    {
        await using var harness = new ReconcileHarness();
        var stack = harness.StackName;
        var backend = Network(stack, "backend") with { Labels = Entries(("team", "shop")) };
        var data = Volume(stack, "data");
        var db = Service(stack, "db", Container()).OnNetwork(backend).WithVolume(data, "/data");
        var cache = Service(stack, "cache", Container());
        var applied = await harness.ApplyConvergedAsync(Desired(harness.Host, Stack(stack, [cache, db], [backend], [data])));
        Assert.Equal(ApplyOutcome.Applied, applied.Outcome);
        var idsBefore = await harness.ContainerIdsAsync();
        var networkBefore = await harness.Client.Networks.InspectNetworkAsync($"{stack}_backend");

        // The engine's own view of what berth created matches the spec: no false "changed" on a real engine.
        Assert.False((await harness.PlanAsync(Desired(harness.Host, Stack(stack, [cache, db], [backend], [data])))).HasChanges);

        var changedNetwork = backend with { DriverOptions = Entries(("com.docker.network.driver.mtu", "1400")), Internal = true };
        var changedVolume = data with { Labels = Entries(("backup", "daily")) };
        var cacheUpgrade = cache.WithEnvironment("VERSION", "2");
        var result = await harness.ApplyAsync(Desired(harness.Host, Stack(stack, [cacheUpgrade, db], [changedNetwork], [changedVolume])));

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var plan = result.Plan.ToString();
        Assert.Contains($"network {stack}_backend was created with other settings than the spec now gives: driver_opts (com.docker.network.driver.mtu); internal (false -> true)", plan, StringComparison.Ordinal);
        Assert.Contains($"volume {stack}_data was created with other settings than the spec now gives: labels (backup)", plan, StringComparison.Ordinal);
        Assert.Contains($"{stack}/db: held back: it uses {stack}_backend, {stack}_data", plan, StringComparison.Ordinal);
        var networkAfter = await harness.Client.Networks.InspectNetworkAsync($"{stack}_backend");
        Assert.Equal(networkBefore.ID, networkAfter.ID);
        Assert.False(networkAfter.Internal);
        Assert.Equal(idsBefore[$"{stack}-db-1"], (await harness.ContainerIdsAsync())[$"{stack}-db-1"]);
        Assert.True((await harness.InspectAsync($"{stack}-db-1")).State.Running);

        // Services that do not use them still deploy.
        Assert.NotEqual(idsBefore[$"{stack}-cache-1"], (await harness.ContainerIdsAsync())[$"{stack}-cache-1"]);
        Assert.Contains("VERSION=2", (await harness.InspectAsync($"{stack}-cache-1")).Config.Env);
    }

    [Fact]
    public async Task Apply_TwoHostIdentitiesOnOneEngine_NeverTouchEachOther()
    {
        await using var first = new ReconcileHarness();
        await using var second = new ReconcileHarness();
        await first.ApplyConvergedAsync(DbStates(first).WithDb);
        await second.ApplyConvergedAsync(DbStates(second).WithDb);

        var emptied = await first.ApplyAsync(Desired(first.Host) with { Settings = new RepositorySettings(AllowEmptyState: true, PruneVolumes: true) });

        Assert.Equal(ApplyOutcome.Applied, emptied.Outcome);
        Assert.Empty(await first.ManagedContainerNamesAsync());
        Assert.Equal([$"{second.StackName}-db-1", $"{second.StackName}-web-1"], await second.ManagedContainerNamesAsync());
        Assert.False((await second.PlanAsync(DbStates(second).WithDb)).HasChanges);
    }
}
