using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Reconciliation;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Execution;

/// <summary>The executor's failure handling, without Docker (the fake engine stands in).</summary>
public sealed class PlanExecutorTests
{
    private static readonly ExecutionScope Scope = new(new ResourceOwner("host-a", "rev-1"), TimeSpan.Zero);

    [Fact]
    public async Task Execute_StepItDoesNotKnow_ThrowsInsteadOfReportingAFailedStepToRetry()
    {
        // A step type the executor has no case for is berth's own bug. It used to be caught with the
        // engine's refusals (InvalidOperationException) and reported as a failed step, which the next
        // pass would plan and "retry" forever.
        var plan = new Plan("host-a", [new UnknownStep()], [], []);
        var executor = new PlanExecutor(new FakeContainerEngine(), TimeProvider.System, new NoFrontRules());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            executor.ExecuteAsync(plan, Scope, _ => { }, CancellationToken.None));

        Assert.Equal("unexpected resource step: UnknownStep", error.Message);
    }

    [Fact]
    public async Task Execute_PullTheRegistryRefuses_IsAFailedStepWithTheEnginesReason()
    {
        var engine = new FakeContainerEngine { FailPulls = new ImagePullException("registry.example/app:1", "manifest unknown") };
        var plan = new Plan("host-a", [new PullImageStep("registry.example/app:1", "missing")], [], []);

        var report = await new PlanExecutor(engine, TimeProvider.System, new NoFrontRules())
            .ExecuteAsync(plan, Scope, _ => { }, CancellationToken.None);

        var outcome = Assert.Single(report.Steps);
        Assert.Equal((StepResult.Failed, "pulling registry.example/app:1 failed: manifest unknown", FailureKind.Host), (outcome.Result, outcome.Message, outcome.Failure));
    }

    [Fact]
    public async Task Execute_ManyPulls_NeverRunsMoreThanTheBoundAtOnce()
    {
        // Six pulls of different images, each its own unit, with room for all six units at once: only the
        // pull bound keeps them to two. Every pull is held open until the test has seen the bound filled.
        const int Bound = 2;
        var images = Enumerable.Range(1, 6).Select(number => $"registry.example/app{number}:1").ToList();
        var download = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0, mostAtOnce = 0, described = 0;
        var engine = new FakeContainerEngine
        {
            PullDownload = async (_, cancellationToken) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref mostAtOnce, now);
                await download.Task.WaitAsync(cancellationToken);
                Interlocked.Decrement(ref running);
            },
        };
        var plan = new Plan("host-a", [.. images.Select(image => (PlanStep)new PullImageStep(image, "not present locally"))], [], []);

        var executing = new PlanExecutor(engine, TimeProvider.System, new NoFrontRules(), maxConcurrentUnits: images.Count, maxConcurrentPulls: Bound)
            .ExecuteAsync(plan, Scope, _ => Interlocked.Increment(ref described), CancellationToken.None);
        // All six units have started (each reports its step before it waits for a pull slot) and the bound is full.
        await PollUntilAsync(() => Volatile.Read(ref described) == images.Count && Volatile.Read(ref running) >= Bound, TimeSpan.FromSeconds(10));
        download.SetResult();
        var report = await executing.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Bound, mostAtOnce);
        Assert.All(report.Steps, outcome => Assert.Equal(StepResult.Succeeded, outcome.Result));
        Assert.Equal(images, images.Where(engine.Images.ContainsKey));
    }

    [Fact]
    public void PullSlots_Default_IsThree()
    {
        Assert.Equal(3, PullSlots.DefaultLimit);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PullSlots(0));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var actual && actual != seen)
        {
            seen = actual;
        }
    }

    /// <summary>Polls a condition until it holds or the deadline passes (then fails); no fixed sleeps.</summary>
    private static async Task PollUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            Assert.False(deadline.IsCancellationRequested, $"condition not met within {timeout}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Rollout_FailureActionPause_StopsAtTheFirstFailedReplicaAndLeavesTheRestAsTheyRan()
    {
        var (engine, v1) = await RunningAsync(FailureAction.Pause);
        var v2 = v1.WithEnvironment("VERSION", "2");
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-1", v2.ConfigHash));

        var report = await ApplyAsync(engine, v2, v1);

        var service = Assert.Single(report.Services);
        Assert.Equal((RolloutResult.Paused, "rollout paused after a failed health gate (failure_action: pause)"), (service.Result, service.Message));
        Assert.Equal(
            [(StepResult.Failed, "replace container shop-web-1 (shop/web #1, start-first)"), (StepResult.Skipped, "replace container shop-web-2 (shop/web #2, start-first)")],
            report.Steps.Select(step => (step.Result, step.Step.Action)).ToList());
        Assert.Equal([("shop-web-1", v1.ConfigHash), ("shop-web-2", v1.ConfigHash)], await ContainersAsync(engine));
    }

    [Fact]
    public async Task Rollout_FailureActionContinue_TriesEveryReplicaAndKeepsTheOldOnesWhereTheNewFailed()
    {
        var (engine, v1) = await RunningAsync(FailureAction.Continue);
        var v2 = v1.WithEnvironment("VERSION", "2");
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-1", v2.ConfigHash));

        var report = await ApplyAsync(engine, v2, v1);

        var service = Assert.Single(report.Services);
        Assert.Equal((RolloutResult.Failed, "1 replica(s) failed (failure_action: continue)"), (service.Result, service.Message));
        Assert.Equal([("shop-web-1", v1.ConfigHash), ("shop-web-2", v2.ConfigHash)], await ContainersAsync(engine));
    }

    [Fact]
    public async Task Rollout_SecondReplicaFails_RollsTheFirstBackToThePreviousConfig()
    {
        var (engine, v1) = await RunningAsync(FailureAction.Rollback);
        var v2 = v1.WithEnvironment("VERSION", "2");
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-2", v2.ConfigHash));

        var report = await ApplyAsync(engine, v2, v1);

        var service = Assert.Single(report.Services);
        Assert.Equal((RolloutResult.RolledBack, "rolled back to the previous config after a failed health gate"), (service.Result, service.Message));
        Assert.Equal([("shop-web-1", v1.ConfigHash), ("shop-web-2", v1.ConfigHash)], await ContainersAsync(engine));
    }

    [Fact]
    public async Task Rollout_RollbackFailsToo_PausesAndNeverRollsBackTheRollback()
    {
        var (engine, v1) = await RunningAsync(FailureAction.Rollback);
        var v2 = v1.WithEnvironment("VERSION", "2");
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-2", v2.ConfigHash));
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-1", v1.ConfigHash));

        var report = await ApplyAsync(engine, v2, v1);

        var service = Assert.Single(report.Services);
        Assert.Equal(RolloutResult.Paused, service.Result);
        Assert.StartsWith("rollback failed too; paused (never roll back a rollback): ", service.Message, StringComparison.Ordinal);
        // Replica 1 keeps the new version that passed its gate (the failed rollback's container is gone); replica 2 the old one.
        Assert.Equal([("shop-web-1", v2.ConfigHash), ("shop-web-2", v1.ConfigHash)], await ContainersAsync(engine));
    }

    [Fact]
    public async Task Rollout_PreviousConfigTheHostPolicyNowRefuses_PausesInsteadOfCreatingItAgain()
    {
        // Version 1 ran privileged before the host's policy existed; version 2 drops it and its second
        // replica fails. Rolling replica 1 back would create a privileged container the policy refuses.
        var engine = new FakeContainerEngine();
        var v1 = Service("shop", "web", Container(), replicas: 2).WithContainer(container => container with { Privileged = true }) with
        {
            Update = FastUpdate with { Monitor = TimeSpan.Zero, FailureAction = FailureAction.Rollback },
            Rollback = FastRollback with { Monitor = TimeSpan.Zero },
        };
        Assert.True((await ApplyAsync(engine, v1, previous: null)).Succeeded);
        var v2 = v1.WithContainer(container => container with { Privileged = false });
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-2", v2.ConfigHash));

        var desired = Desired("host-a", Stack("shop", [v2])) with { Policy = new HostPolicyScope(HostPolicy.Restrictive, "/repo") };
        var applied = TestObserved.Applied("host-a", v1);
        var refused = desired.Policy!.RefusedRollbacks(desired, applied);
        var plan = Planner.Create(desired, await engine.ObserveAsync("host-a", [], CancellationToken.None), applied, refusedRollbacks: refused);

        // The plan says so before anything runs (berth plan shows it).
        Assert.All(plan.Steps.OfType<ReplaceContainerStep>(), step => Assert.StartsWith(
            "the previous config is refused by this host's policy now, so it is not rolled back to: replicas already replaced keep the new config and the rollout pauses (services.web.privileged: ",
            PlanGraphText.RolloutFailure(step), StringComparison.Ordinal));
        var report = await new PlanExecutor(engine, TimeProvider.System, new NoFrontRules()).ExecuteAsync(plan, Scope, _ => { }, CancellationToken.None);

        var service = Assert.Single(report.Services);
        Assert.Equal(RolloutResult.Paused, service.Result);
        Assert.Equal(
            "rollout failed and the previous config is refused by this host's policy, so it was not rolled back to; paused: " +
            "services.web.privileged: a privileged container has every capability and device of the host; refused by this host's policy (policy.privileged: true would allow it)",
            service.Message);
        Assert.Equal([("shop-web-1", v2.ConfigHash), ("shop-web-2", v1.ConfigHash)], await ContainersAsync(engine));
    }

    [Fact]
    public async Task Rollout_NoPreviousSpecKnown_PausesInsteadOfGuessing()
    {
        var (engine, v1) = await RunningAsync(FailureAction.Rollback);
        var v2 = v1.WithEnvironment("VERSION", "2");
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-2", v2.ConfigHash));

        var report = await ApplyAsync(engine, v2, previous: null);

        var service = Assert.Single(report.Services);
        Assert.Equal((RolloutResult.Paused, "rollout failed and the previous spec is unknown, so nothing could be rolled back; paused"), (service.Result, service.Message));
    }

    [Fact]
    public async Task Execute_DependencyFailsItsGate_DependentWaitingForItIsHeldBackWithoutTrying()
    {
        var engine = new FakeContainerEngine();
        var db = Service("shop", "db", Container()) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } };
        var web = Service("shop", "web", Container(), 1, new ServiceDependency("db", DependencyCondition.ServiceHealthy, Restart: false, Required: true));
        engine.ExitOnStart.Add("shop/db");
        var desired = Desired("host-a", Stack("shop", [db, web]));
        var plan = Planner.Create(desired, await engine.ObserveAsync("host-a", [], CancellationToken.None), AppliedState.Empty("host-a"));

        var report = await new PlanExecutor(engine, TimeProvider.System, new NoFrontRules()).ExecuteAsync(plan, Scope, _ => { }, CancellationToken.None);

        Assert.Equal(
            [("shop/db", RolloutResult.Failed, FailureKind.Unhealthy), ("shop/web", RolloutResult.Failed, FailureKind.Host)],
            report.Services.Select(service => (service.QualifiedService, service.Result, service.Failure)).ToList());
        Assert.Equal(["shop/db"], engine.Created);
    }

    [Fact]
    public async Task Rollout_NewVersionAddedAnAnonymousVolume_RollsBackAllTheSame()
    {
        // The plan chose the rollback's order from version 1's containers (no anonymous volume); the
        // replaced replica's container has one that version 1 never mounts: rolling back start-first
        // is safe, and must not be refused as an outdated plan.
        var (engine, v1) = await RunningAsync(FailureAction.Rollback);
        var v2 = v1.WithEnvironment("VERSION", "2");
        engine.AnonymousVolumesByConfig[v2.ConfigHash] = ["/cache"];
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-web-2", v2.ConfigHash));

        var report = await ApplyAsync(engine, v2, v1);

        var service = Assert.Single(report.Services);
        Assert.Equal((RolloutResult.RolledBack, "rolled back to the previous config after a failed health gate"), (service.Result, service.Message));
        Assert.Equal([("shop-web-1", v1.ConfigHash), ("shop-web-2", v1.ConfigHash)], await ContainersAsync(engine));
    }

    [Fact]
    public async Task Execute_DependencyRolledBack_RestartOfItsDependentIsNotNeeded()
    {
        var engine = new FakeContainerEngine();
        var db = Service("shop", "db", Container()) with { Update = FastUpdate with { Monitor = TimeSpan.Zero }, Rollback = FastRollback with { Monitor = TimeSpan.Zero } };
        var web = Service("shop", "web", Container(), 1, new ServiceDependency("db", DependencyCondition.ServiceStarted, Restart: true, Required: true)) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } };
        await ExecuteAsync(engine, Desired("host-a", Stack("shop", [db, web])), AppliedState.Empty("host-a"));
        var dbV2 = db.WithEnvironment("VERSION", "2");
        engine.ExitOnStartNames.Add(ContainerNames.ReplacementFor("shop-db-1", dbV2.ConfigHash));

        var report = await ExecuteAsync(engine, Desired("host-a", Stack("shop", [dbV2, web])), await AppliedAsync(engine, db, web));

        Assert.Equal(
            [(StepResult.Failed, "replace container shop-db-1 (shop/db #1, start-first)", "health gate"), (StepResult.Skipped, "restart container shop-web-1", "not needed: shop/db failed in this pass")],
            report.Steps.Select(step => (step.Result, step.Step.Action, step.Result == StepResult.Failed ? "health gate" : step.Message)).ToList());
    }

    [Fact]
    public async Task Execute_OptionalDependencyNotHealthy_DependentGoesOnAndSaysSo()
    {
        var engine = new FakeContainerEngine();
        var db = Service("shop", "db", Container()) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } };
        var web = Service("shop", "web", Container(), 1, new ServiceDependency("db", DependencyCondition.ServiceHealthy, Restart: false, Required: false)) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } };
        engine.ExitOnStart.Add("shop/db");

        var report = await ExecuteAsync(engine, Desired("host-a", Stack("shop", [db, web])), AppliedState.Empty("host-a"));

        Assert.Equal(
            [("shop/db", RolloutResult.Failed), ("shop/web", RolloutResult.Succeeded)],
            report.Services.Select(service => (service.QualifiedService, service.Result)).ToList());
        var wait = Assert.Single(report.Steps, step => step.Step is WaitHealthyStep);
        Assert.StartsWith("shop/db is not healthy (", wait.Message, StringComparison.Ordinal);
        Assert.EndsWith("); required: false, so shop/web goes on", wait.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Execute_SixNewServices_NeverMoreStartsAtOnceThanTheStartSlots(int startSlots)
    {
        // Six units run in parallel (units have no bound of their own): without the start bound,
        // their starts would be in the engine together.
        var engine = new ScriptedHealthEngine(new FakeContainerEngine(), ContainerHealth.Healthy);
        var services = Enumerable.Range(1, 6).Select(index => Service("shop", $"s{index}", Probed) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } }).ToList();

        var report = await ExecuteAsync(engine, Desired("host-a", Stack("shop", services)), AppliedState.Empty("host-a"), startSlots);

        Assert.True(report.Succeeded);
        Assert.InRange(engine.MostStartsAtOnce, 1, startSlots);
    }

    [Fact]
    public async Task Execute_ColdDeployOfTwelveServices_AllWaitInTheirGatesAtOnce()
    {
        // Services have no bound of their own (issue #16): a unit bound of 4 made a cold deploy ⌈N/4⌉ waves
        // of a health interval each. Starts stay bounded (2 here); the gates, which only wait, overlap.
        var engine = new ScriptedHealthEngine(new FakeContainerEngine(), [.. Enumerable.Repeat(ContainerHealth.Starting, 8), ContainerHealth.Healthy]);
        var services = Enumerable.Range(1, 12)
            .Select(index => Service("shop", $"s{index}", Probed) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } })
            .ToList();

        var report = await ExecuteAsync(engine, Desired("host-a", Stack("shop", services)), AppliedState.Empty("host-a"), 2);

        Assert.True(report.Succeeded);
        Assert.Equal(12, engine.MostStartingAtOnce);
        Assert.InRange(engine.MostStartsAtOnce, 1, 2);
    }

    [Fact]
    public async Task Rollout_AllReplicasAtOnce_NeverMoreStartsAtOnceThanTheStartSlots()
    {
        var engine = new ScriptedHealthEngine(new FakeContainerEngine(), ContainerHealth.Healthy);
        // parallelism 0: the whole service in one batch, as Swarm's parallelism 0.
        var v1 = Service("shop", "web", Probed, replicas: 4) with { Update = FastUpdate with { Monitor = TimeSpan.Zero, Parallelism = 0 } };
        Assert.True((await ExecuteAsync(engine, Desired("host-a", Stack("shop", [v1])), AppliedState.Empty("host-a"), 4)).Succeeded);
        var v2 = v1.WithEnvironment("VERSION", "2");
        engine.ResetCount();

        var report = await ExecuteAsync(engine, Desired("host-a", Stack("shop", [v2])), TestObserved.Applied("host-a", v1), 2);

        Assert.Equal(RolloutResult.Succeeded, Assert.Single(report.Services).Result);
        Assert.Equal(4, report.Steps.Count(step => step.Step is ReplaceContainerStep && step.Result == StepResult.Succeeded));
        Assert.InRange(engine.MostStartsAtOnce, 1, 2);
    }

    [Fact]
    public async Task Execute_FirstDeployUnhealthyForItsFirstProbes_KeepsWaitingAndConverges()
    {
        // A host busy with the deploy itself: the check times out twice, then passes. Nothing to roll
        // back to, so the first "unhealthy" is not the verdict (compose would end healthy here).
        var engine = new ScriptedHealthEngine(new FakeContainerEngine(), ContainerHealth.Starting, ContainerHealth.Unhealthy, ContainerHealth.Unhealthy, ContainerHealth.Healthy);
        var web = Service("shop", "web", Probed) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } };

        var report = await ExecuteAsync(engine, Desired("host-a", Stack("shop", [web])), AppliedState.Empty("host-a"), null);

        var service = Assert.Single(report.Services);
        Assert.Equal((RolloutResult.Succeeded, "converged"), (service.Result, service.Message));
    }

    [Fact]
    public async Task Rollout_ReplacementUnhealthyForItsFirstProbes_RollsBackAtOnceToThePreviousContainer()
    {
        // The same script as above: with a previous container to go back to, "unhealthy" is final.
        var engine = new ScriptedHealthEngine(new FakeContainerEngine(), ContainerHealth.Starting, ContainerHealth.Unhealthy, ContainerHealth.Unhealthy, ContainerHealth.Healthy);
        var v1 = Service("shop", "web", Probed) with { Update = FastUpdate with { Monitor = TimeSpan.Zero } };
        Assert.True((await ExecuteAsync(engine, Desired("host-a", Stack("shop", [v1])), AppliedState.Empty("host-a"), null)).Succeeded);

        var report = await ExecuteAsync(engine, Desired("host-a", Stack("shop", [v1.WithEnvironment("VERSION", "2")])), TestObserved.Applied("host-a", v1), null);

        var service = Assert.Single(report.Services);
        Assert.Equal((RolloutResult.RolledBack, "unhealthy"), (service.Result, service.Evidence?.Reason));
        Assert.Equal([("shop-web-1", v1.ConfigHash)], await ContainersAsync(engine.Inner));
    }

    /// <summary>A container with a health check (the gate waits for "healthy"); the fake engine ignores the command.</summary>
    private static ContainerSpec Probed => Container() with
    {
        HealthCheck = new HealthCheckSpec(["CMD", "true"], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero, 3),
    };

    private static async Task<ExecutionReport> ExecuteAsync(IContainerEngine engine, DesiredState desired, AppliedState applied, int? maxConcurrentStarts)
    {
        var plan = Planner.Create(desired, await engine.ObserveAsync("host-a", [], CancellationToken.None), applied);
        return await new PlanExecutor(engine, TimeProvider.System, new NoFrontRules(), maxConcurrentStarts: maxConcurrentStarts).ExecuteAsync(plan, Scope, _ => { }, CancellationToken.None);
    }

    /// <summary>The record berth writes after applying these services, with the containers the fake engine runs for them.</summary>
    private static async Task<AppliedState> AppliedAsync(FakeContainerEngine engine, params ServiceSpec[] services)
    {
        var observed = await engine.ObserveAsync("host-a", [], CancellationToken.None);
        var applied = TestObserved.Applied("host-a", services);
        return applied with
        {
            Services = applied.Services.SetItems(applied.Services.Select(entry => KeyValuePair.Create(entry.Key, entry.Value with
            {
                ContainerIds = observed.Containers.Where(container => container.QualifiedService == entry.Key)
                    .ToImmutableSortedDictionary(container => container.Replica, container => container.Id),
            }))),
        };
    }

    private static async Task<ExecutionReport> ExecuteAsync(FakeContainerEngine engine, DesiredState desired, AppliedState applied)
    {
        var plan = Planner.Create(desired, await engine.ObserveAsync("host-a", [], CancellationToken.None), applied);
        return await new PlanExecutor(engine, TimeProvider.System, new NoFrontRules()).ExecuteAsync(plan, Scope, _ => { }, CancellationToken.None);
    }

    /// <summary>Two replicas of shop/web running version 1, as berth left them; monitor windows of 0 so gates decide at once.</summary>
    private static async Task<(FakeContainerEngine Engine, ServiceSpec V1)> RunningAsync(FailureAction failureAction)
    {
        var engine = new FakeContainerEngine();
        var v1 = Service("shop", "web", Container(), replicas: 2) with
        {
            Update = FastUpdate with { Monitor = TimeSpan.Zero, FailureAction = failureAction },
            Rollback = FastRollback with { Monitor = TimeSpan.Zero },
        };
        var report = await ApplyAsync(engine, v1, previous: null);
        Assert.True(report.Succeeded);
        return (engine, v1);
    }

    private static async Task<ExecutionReport> ApplyAsync(FakeContainerEngine engine, ServiceSpec service, ServiceSpec? previous)
    {
        var desired = Desired("host-a", Stack("shop", [service]));
        var applied = previous is null ? AppliedState.Empty("host-a") : TestObserved.Applied("host-a", previous);
        var plan = Planner.Create(desired, await engine.ObserveAsync("host-a", [], CancellationToken.None), applied);
        return await new PlanExecutor(engine, TimeProvider.System, new NoFrontRules()).ExecuteAsync(plan, Scope, _ => { }, CancellationToken.None);
    }

    private static async Task<List<(string Name, string ConfigHash)>> ContainersAsync(FakeContainerEngine engine) =>
        [.. (await engine.ObserveAsync("host-a", [], CancellationToken.None)).Containers.Select(container => (container.Name, container.ConfigHash))];

    private sealed record UnknownStep() : PlanStep("no reason")
    {
        public override string Action => "do something new";
    }

    private sealed class NoFrontRules : IFrontRules
    {
        public Task ApplyAsync(int frontPid, string natTable, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no front in these tests");
    }
}
