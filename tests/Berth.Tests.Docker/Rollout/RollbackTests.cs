using Berth.Reconciler.Execution;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Rollout;

/// <summary>A bad version never takes the service down: it is rolled back, with evidence, and not retried.</summary>
public sealed class RollbackTests
{
    private static readonly string[] WebCommand = ["httpd", "-f", "-p", "8080", "-h", "/www"];

    private static DesiredState WebState(ReconcileHarness harness, Func<ContainerSpec, ContainerSpec>? change = null, int replicas = 2, RolloutPolicy? update = null)
    {
        var stack = harness.StackName;
        var backend = Network(stack, "backend");
        var web = Service(stack, "web", change?.Invoke(WebContainer()) ?? WebContainer(), replicas).OnNetwork(backend);
        web = update is null ? web : web with { Update = update };
        return Desired(harness.Host, Stack(stack, [web], [backend]));
    }


    [Fact]
    public async Task Rollout_NewVersionNeverHealthy_RollsBackKeepsServingAndIsNotRetried()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var idsBefore = await harness.ContainerIdsAsync();
        var probe = await TrafficProbe.StartAsync(harness.Scope, $"{harness.StackName}_backend", "http://web:8080/version");
        var broken = WebState(harness, container => container with
        {
            Environment = container.Environment.SetItem("VERSION", "broken"),
            HealthCheck = FastHealthCheck("echo probe says no; exit 1"),
        });

        var result = await harness.ApplyAsync(broken);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var outcome = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.RolledBack, outcome.Result);
        Assert.Equal("unhealthy", outcome.Evidence!.Reason);
        Assert.Contains("probe says no", outcome.Evidence.LastHealthOutput, StringComparison.Ordinal);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
        var served = await probe.CountAsync();
        Assert.Equal(0, served.Failed);

        // A daemon restarted now reads this pass back from the state file as the live pass reported it
        // (it used to say ApplyFailed instead of RolledBack).
        Assert.Equal((PassOutcome.Stalled, "RolledBack"), (result.Verdict.PassOutcome, result.Verdict.Reason));
        var restarted = new StatusBoard(harness.Host, "v", DateTimeOffset.UnixEpoch);
        restarted.RestoreFrom(await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None));
        Assert.Equal((PassOutcome.Stalled, "RolledBack"), (restarted.Current.LastAttempted!.Outcome, restarted.Current.LastAttempted.Reason));

        var again = await harness.ApplyAsync(broken);
        Assert.Equal(ApplyOutcome.SkippedFailedRevision, again.Outcome);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
        Assert.Equal(HistoryResults.HeldBack, (await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None)).History[0].Result); // one record per pass, a held one too

        var forced = await harness.ApplyAsync(broken, new ApplyOptions { RetryFailed = true, DrainPeriod = TimeSpan.FromMilliseconds(200) });
        Assert.Equal(ApplyOutcome.Failed, forced.Outcome);
    }

    [Fact]
    public async Task Rollout_NewVersionExitsAtStart_FailsWithExitCodeAndLogsAsEvidence()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var idsBefore = await harness.ContainerIdsAsync();

        var result = await harness.ApplyAsync(WebState(harness, container => container with { Command = ["sh", "-c", "echo cannot open config file; exit 3"] }));

        var outcome = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.RolledBack, outcome.Result);
        Assert.Equal(3, outcome.Evidence!.ExitCode);
        Assert.Contains("cannot open config file", outcome.Evidence.LastLogLines, StringComparison.Ordinal);
        Assert.Contains("exited with code 3", result.Summary, StringComparison.Ordinal);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
    }

    [Fact]
    public async Task Rollout_NewCommandDoesNotExist_IsTheVersionsFailureRolledBackAndHeldNotRetriedAsTransient()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var idsBefore = await harness.ContainerIdsAsync();

        // Without an init process the engine itself answers the start with 500 ("OCI runtime create
        // failed ... executable file not found"): a lasting error of this version, not an engine hiccup
        // to retry forever. (With init: true, tini starts and the container exits 127: a failed gate.)
        var broken = WebState(harness, container => container with { Command = ["no-such-httpd", "-f"], Init = false });
        var result = await harness.ApplyAsync(broken);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var outcome = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.RolledBack, outcome.Result);
        Assert.Contains("executable file not found", outcome.Evidence!.Reason, StringComparison.Ordinal);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
        Assert.Equal(ApplyOutcome.SkippedFailedRevision, (await harness.ApplyAsync(broken)).Outcome);
    }

    [Fact]
    public async Task Rollout_TurnsUnhealthyDuringTheMonitorWindow_RollsBackTheReplicasAlreadyReplaced()
    {
        await using var harness = new ReconcileHarness();
        // parallelism 1 and a monitor window longer than the time the new version stays healthy.
        var policy = FastUpdate with { Monitor = TimeSpan.FromSeconds(6) };
        await harness.ApplyConvergedAsync(WebState(harness, update: policy));
        var idsBefore = await harness.ContainerIdsAsync();

        // Healthy at first, then its health check starts failing after ~2 s.
        var degrading = WebState(harness, container => container with
        {
            Command = ["sh", "-c", "(sleep 2; touch /tmp/broken) & exec httpd -f -p 8080 -h /www"],
            HealthCheck = FastHealthCheck("test ! -f /tmp/broken"),
        }, update: policy);
        var result = await harness.ApplyAsync(degrading);

        var outcome = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.RolledBack, outcome.Result);
        Assert.Equal("unhealthy", outcome.Evidence!.Reason);
        var names = await harness.ManagedContainerNamesAsync();
        Assert.Equal([$"{harness.StackName}-web-1", $"{harness.StackName}-web-2"], names);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
    }

    [Fact]
    public async Task Rollout_SecondBatchFails_RollsBackTheFirstReplicaToThePreviousConfig()
    {
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness));
        var stack = harness.StackName;

        // The first new container to start takes a ticket from a shared volume and passes;
        // every later one finds the ticket taken and fails its health check.
        var tickets = Volume(stack, "tickets");
        var state = WebState(harness, container => container with
        {
            Environment = container.Environment.SetItem("VERSION", "2"),
            Command = ["sh", "-c", "if mkdir /tickets/first 2>/dev/null; then touch /tmp/ok; fi; exec httpd -f -p 8080 -h /www"],
            HealthCheck = FastHealthCheck("test -f /tmp/ok"),
        });
        var web = state.Stacks[0].Services[0].WithVolume(tickets, "/tickets") with { Update = FastUpdate with { Order = UpdateOrder.StartFirst } };
        var result = await harness.ApplyAsync(state with { Stacks = [state.Stacks[0] with { Services = [web], Volumes = [tickets] }] });

        var outcome = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.RolledBack, outcome.Result);
        Assert.Contains(harness.Progress, progress => progress.Message.StartsWith("rolling back 1 replica(s)", StringComparison.Ordinal));
        foreach (var name in await harness.ManagedContainerNamesAsync())
        {
            var container = await harness.InspectAsync(name);
            Assert.DoesNotContain("VERSION=2", container.Config.Env);
            Assert.Equal("healthy", container.State.Health.Status);
        }
    }

    [Fact]
    public async Task Rollout_MaxFailureRatioAllowsOneFailure_ContinuesAndReportsIt()
    {
        await using var harness = new ReconcileHarness();
        var policy = FastUpdate with { MaxFailureRatio = 0.5, Order = UpdateOrder.StartFirst };
        await harness.ApplyConvergedAsync(WebState(harness, replicas: 4, update: policy));
        var stack = harness.StackName;

        // Only the first new container fails (it takes the ticket); 1 of 4 = 0.25 <= 0.5.
        var tickets = Volume(stack, "tickets");
        var state = WebState(harness, container => container with
        {
            Environment = container.Environment.SetItem("VERSION", "2"),
            Command = ["sh", "-c", "if mkdir /tickets/first 2>/dev/null; then touch /tmp/broken; fi; exec httpd -f -p 8080 -h /www"],
            HealthCheck = FastHealthCheck("test ! -f /tmp/broken"),
        }, replicas: 4, update: policy);
        var web = state.Stacks[0].Services[0].WithVolume(tickets, "/tickets");
        var result = await harness.ApplyAsync(state with { Stacks = [state.Stacks[0] with { Services = [web], Volumes = [tickets] }] });

        var outcome = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.Succeeded, outcome.Result);
        Assert.Equal("3 replaced, 1 failed within max_failure_ratio", outcome.Message);
        var versions = new List<bool>();
        foreach (var name in await harness.ManagedContainerNamesAsync())
        {
            versions.Add((await harness.InspectAsync(name)).Config.Env.Contains("VERSION=2"));
        }

        Assert.Equal(3, versions.Count(isNew => isNew));
    }

    [Fact]
    public async Task Rollout_Parallelism2_ReplacesAtMostTwoReplicasAtOnce()
    {
        await using var harness = new ReconcileHarness();
        var policy = FastUpdate with { Parallelism = 2 };
        await harness.ApplyConvergedAsync(WebState(harness, replicas: 4, update: policy));

        await harness.ApplyConvergedAsync(WebState(harness, container => container with { Environment = container.Environment.SetItem("V", "2") }, replicas: 4, update: policy));

        // Replay the progress log: a replacement is in flight from "created …-next-…" until its new
        // container serves ("… passed its health gate and now receives traffic"). The old container's
        // drain, stop and removal after that run alongside the next batch (as Swarm's updater only asks
        // the old task to shut down), so they do not count (docs/rollout.md, "Start-first, step by step").
        var inFlight = 0;
        var maxInFlight = 0;
        foreach (var message in harness.Progress.Select(progress => progress.Message))
        {
            if (message.StartsWith("created ", StringComparison.Ordinal) && message.Contains("-next-", StringComparison.Ordinal))
            {
                maxInFlight = Math.Max(maxInFlight, ++inFlight);
            }
            else if (message.EndsWith(" passed its health gate and now receives traffic", StringComparison.Ordinal))
            {
                inFlight--;
            }
        }

        Assert.Equal(2, maxInFlight);
        Assert.Equal(4, harness.Progress.Count(progress => progress.Message.StartsWith("replaced ", StringComparison.Ordinal)));
    }
}
