using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using Berth.Tests.Shared;
using ServiceSpec = Berth.Reconciler.Spec.Model.ServiceSpec;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>Deploying and changing stacks against the real engine.</summary>
public sealed class ReconcileDeployTests
{
    private static DesiredState ShopState(ReconcileHarness harness, Func<ServiceSpec, ServiceSpec>? changeWeb = null, int webReplicas = 2)
    {
        var stack = harness.StackName;
        var backend = Network(stack, "backend");
        var data = Volume(stack, "data");
        var web = Service(stack, "web", WebContainer(), webReplicas).OnNetwork(backend, "shop-web");
        web = changeWeb?.Invoke(web) ?? web;
        var db = Service(stack, "db", Container(Image, "sh", "-c", "echo started >> /data/log; exec sleep 3600")).OnNetwork(backend, "database").WithVolume(data, "/data");
        var worker = Service(stack, "worker", Container(), 1,
            new ServiceDependency("web", DependencyCondition.ServiceHealthy, false, true)).OnNetwork(backend);
        return Desired(harness.Host, Stack(stack, [db, web, worker], [backend], [data]));
    }

    [Fact]
    public async Task Apply_FreshHost_CreatesEverythingHealthyAndASecondPlanHasNoChanges()
    {
        await using var harness = new ReconcileHarness();
        var desired = ShopState(harness);

        var result = await harness.ApplyAsync(desired);

        Assert.Equal(ApplyOutcome.Applied, result.Outcome);
        var stack = harness.StackName;
        Assert.Equal([$"{stack}-db-1", $"{stack}-web-1", $"{stack}-web-2", $"{stack}-worker-1"], await harness.ManagedContainerNamesAsync());
        var web = await harness.InspectAsync($"{stack}-web-1");
        Assert.True(web.State.Running);
        Assert.Equal("healthy", web.State.Health.Status);
        Assert.Contains($"{stack}_backend", web.NetworkSettings.Networks.Keys);
        Assert.Contains("shop-web", web.NetworkSettings.Networks[$"{stack}_backend"].Aliases);
        var volume = await harness.Client.Volumes.InspectAsync($"{stack}_data");
        Assert.Equal(harness.Host, volume.Labels["io.berth.host"]);

        var secondPlan = await harness.PlanAsync(desired);
        Assert.False(secondPlan.HasChanges, secondPlan.ToString());
        var secondApply = await harness.ApplyAsync(desired);
        Assert.Equal(ApplyOutcome.UpToDate, secondApply.Outcome);
    }

    [Fact]
    public async Task Apply_FirstDeployOfAProxyStackAndAnAppStackSharingItsNetwork_ConvergesInOnePass()
    {
        await using var harness = new ReconcileHarness();
        // The app stack sorts before the proxy stack that creates the network: order must not matter.
        var (proxyStack, appStack, sharedName) = ($"{harness.StackName}-proxy", $"{harness.StackName}-app", $"{harness.StackName}-edge");
        var edge = Network(proxyStack, "edge") with { EngineName = sharedName };
        var edgeExternal = new NetworkSpec("edge", sharedName, External: true, "bridge", NoEntries, NoEntries, Internal: false);
        var desired = Desired(harness.Host,
            Stack(proxyStack, [Service(proxyStack, "proxy", Container(Image, "sleep", "3600")).OnNetwork(edge)], [edge]),
            Stack(appStack, [Service(appStack, "web", Container(Image, "sleep", "3600")).OnNetwork(edgeExternal, "app")], [edgeExternal]));

        var result = await harness.ApplyAsync(desired);

        Assert.True(result.Outcome == ApplyOutcome.Applied, $"{result.Outcome}: {result.Summary}\n{result.Plan}");
        var web = await harness.InspectAsync($"{appStack}-web-1");
        Assert.True(web.State.Running);
        Assert.Contains("app", web.NetworkSettings.Networks[sharedName].Aliases);
        Assert.False((await harness.PlanAsync(desired)).HasChanges);
    }

    [Fact]
    public async Task Apply_DependencyReplaced_DependentWithRestartTrueIsRestartedInPlaceAfterIt()
    {
        await using var harness = new ReconcileHarness();
        var stack = harness.StackName;
        var db = Service(stack, "db", Container());
        var web = Service(stack, "web", Container(), 1, new ServiceDependency("db", DependencyCondition.ServiceStarted, Restart: true, Required: true));
        var first = await harness.ApplyAsync(Desired(harness.Host, Stack(stack, [db, web])));
        Assert.True(first.Outcome == ApplyOutcome.Applied, $"{first.Outcome}: {first.Summary}");
        var webBefore = await harness.InspectAsync($"{stack}-web-1");

        var result = await harness.ApplyAsync(Desired(harness.Host, Stack(stack, [db.WithEnvironment("VERSION", "2"), web])));

        Assert.True(result.Outcome == ApplyOutcome.Applied, $"{result.Outcome}: {result.Summary}\n{result.Plan}");
        Assert.Equal(
            [$"replace container {stack}-db-1 ({stack}/db #1, start-first)", $"restart container {stack}-web-1"],
            result.Plan.Steps.Select(step => step.Action).ToList());
        var webAfter = await harness.InspectAsync($"{stack}-web-1");
        var dbAfter = await harness.InspectAsync($"{stack}-db-1");
        // The same container, started again, after the new db container started.
        Assert.Equal(webBefore.ID, webAfter.ID);
        Assert.True(webAfter.State.Running);
        Assert.True(DateTimeOffset.Parse(webAfter.State.StartedAt, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.Parse(dbAfter.State.StartedAt, System.Globalization.CultureInfo.InvariantCulture),
            $"web started {webAfter.State.StartedAt}, db {dbAfter.State.StartedAt}");
        Assert.False((await harness.PlanAsync(Desired(harness.Host, Stack(stack, [db.WithEnvironment("VERSION", "2"), web])))).HasChanges);
    }

    [Fact]
    public async Task Apply_DependsOnServiceHealthy_StartsTheDependentOnlyAfterTheDependencyIsHealthy()
    {
        await using var harness = new ReconcileHarness();

        await harness.ApplyConvergedAsync(ShopState(harness));

        var stack = harness.StackName;
        var worker = await harness.InspectAsync($"{stack}-worker-1");
        var web = await harness.InspectAsync($"{stack}-web-1");
        var firstHealthyProbe = web.State.Health.Log.Where(probe => probe.ExitCode == 0).Min(probe => probe.End);
        Assert.True(DateTime.Parse(worker.State.StartedAt, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime() >= firstHealthyProbe.ToUniversalTime(),
            $"worker started at {worker.State.StartedAt}, before web's first healthy probe at {firstHealthyProbe:O}");
        var messages = harness.Progress.Select(progress => progress.Message).ToList();
        Assert.True(messages.FindIndex(message => message.StartsWith($"wait until {stack}/web is healthy", StringComparison.Ordinal))
            < messages.FindIndex(message => message.StartsWith($"create container {stack}-worker-1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Apply_EnvironmentChanged_ReplacesTheReplicasWithTheNewEnvironment()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(ShopState(harness));
        var before = await harness.InspectAsync($"{harness.StackName}-web-1");

        var changed = ShopState(harness, web => web.WithEnvironment("GREETING", "changed"));
        var plan = await harness.PlanAsync(changed);
        Assert.Contains("config changed: environment", plan.ToString(), StringComparison.Ordinal);
        await harness.ApplyConvergedAsync(changed);

        var after = await harness.InspectAsync($"{harness.StackName}-web-1");
        Assert.NotEqual(before.ID, after.ID);
        Assert.Contains("GREETING=changed", after.Config.Env);
        Assert.Equal("healthy", after.State.Health.Status);
        Assert.Equal(4, (await harness.ManagedContainerNamesAsync()).Count);
        Assert.False((await harness.PlanAsync(changed)).HasChanges);
    }

    [Fact]
    public async Task Apply_ImageChanged_RunsTheNewImage()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(ShopState(harness));

        var changed = ShopState(harness, web => web.WithContainer(container => container with { Image = BusyboxV2Image }));
        await harness.ApplyConvergedAsync(changed);

        var served = await harness.ExecAsync($"{harness.StackName}-web-2", "cat", "/www/version");
        Assert.Equal("2", served.Trim());
    }

    [Fact]
    public async Task Apply_ScaleUpThenDown_KeepsTheOtherReplicasUntouched()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(ShopState(harness));
        var firstId = (await harness.InspectAsync($"{harness.StackName}-web-1")).ID;

        await harness.ApplyConvergedAsync(ShopState(harness, webReplicas: 3));
        Assert.Contains($"{harness.StackName}-web-3", await harness.ManagedContainerNamesAsync());

        await harness.ApplyConvergedAsync(ShopState(harness, webReplicas: 1));
        var names = await harness.ManagedContainerNamesAsync();
        Assert.DoesNotContain($"{harness.StackName}-web-2", names);
        Assert.DoesNotContain($"{harness.StackName}-web-3", names);
        Assert.Equal(firstId, (await harness.InspectAsync($"{harness.StackName}-web-1")).ID);
    }

    [Fact]
    public async Task Apply_ServiceRemovedFromSpec_RemovesItsContainersAndKeepsTheRest()
    {
        await using var harness = new ReconcileHarness();
        var full = ShopState(harness);
        await harness.ApplyConvergedAsync(full);

        var stack = full.Stacks[0];
        var withoutWorker = full with { Stacks = [stack with { Services = [.. stack.Services.Where(service => service.Name != "worker")] }] };
        var result = await harness.ApplyConvergedAsync(withoutWorker);

        Assert.Contains("remove container " + harness.StackName + "-worker-1: removed from spec", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.Equal([$"{harness.StackName}-db-1", $"{harness.StackName}-web-1", $"{harness.StackName}-web-2"], await harness.ManagedContainerNamesAsync());
    }

    [Fact]
    public async Task Apply_IndependentServices_RollOutConcurrentlyAndDependentsWaitForTheirDependencies()
    {
        await using var harness = new ReconcileHarness();
        var stack = harness.StackName;
        var slowGate = FastUpdate with { Monitor = TimeSpan.FromSeconds(3) };
        var api = Service(stack, "api", Container()) with { Update = slowGate };
        var cache = Service(stack, "cache", Container()) with { Update = slowGate };
        var frontend = Service(stack, "frontend", Container(), 1, new ServiceDependency("api", DependencyCondition.ServiceStarted, false, true));

        await harness.ApplyConvergedAsync(Desired(harness.Host, Stack(stack, [api, cache, frontend])));

        async Task<DateTime> StartedAsync(string service) =>
            DateTime.Parse((await harness.InspectAsync($"{stack}-{service}-1")).State.StartedAt, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
        var apiStarted = await StartedAsync("api");
        var cacheStarted = await StartedAsync("cache");
        var frontendStarted = await StartedAsync("frontend");
        // Each gate watches its container for 3 s: cache started inside api's window (concurrent),
        // frontend only after api's window had passed (it waited for its dependency).
        Assert.True((cacheStarted - apiStarted).Duration() < TimeSpan.FromSeconds(2.5), $"api {apiStarted:O}, cache {cacheStarted:O}");
        Assert.True(frontendStarted - apiStarted >= TimeSpan.FromSeconds(3), $"api {apiStarted:O}, frontend {frontendStarted:O}");
    }

    private const string BusyboxV2Image = TestImages.BusyboxV2;
}
