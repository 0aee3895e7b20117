using Berth.Daemon.Loop;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Daemon;

public sealed class ReconcileLoopTests
{
    [Fact]
    public async Task Loop_Started_RunsAPassImmediately()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();

        var call = await harness.Pass.NextCallAsync();

        Assert.Equal(PassTrigger.Startup, call.Trigger);
        call.Complete(PassOutcome.Converged);
    }

    [Fact]
    public async Task Loop_AfterSuccess_NextPassAfterIntervalPlusJitter()
    {
        await using var harness = new LoopHarness(random01: 0.5);
        await harness.StartAsync();
        var startedAt = harness.Time.GetUtcNow();

        var dueAt = await harness.CompleteAndIdleAsync(await harness.Pass.NextCallAsync(), PassOutcome.Converged);

        // 60 s interval + 0.5 * 10 s jitter.
        Assert.Equal(startedAt + TimeSpan.FromSeconds(65), dueAt);
        Assert.Equal(dueAt, harness.Status.Current.Loop.NextPassDueAt);

        harness.DrainIdle();
        harness.Time.Advance(TimeSpan.FromSeconds(64));
        await harness.IdleAsync();
        Assert.False(harness.Pass.TryGetCall(out _), "no pass before the interval has elapsed");

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await harness.Pass.NextCallAsync();
        Assert.Equal(PassTrigger.Timer, second.Trigger);
        second.Complete(PassOutcome.Converged);
    }

    [Fact]
    public async Task Loop_TriggersDuringAPass_CoalesceIntoOneFollowUpPass()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        var first = await harness.Pass.NextCallAsync();

        harness.Loop.Request(PassTrigger.Webhook);
        harness.Loop.Request(PassTrigger.Webhook);
        harness.Loop.Request(PassTrigger.Cli);
        first.Complete(PassOutcome.Converged);

        var followUp = await harness.Pass.NextCallAsync();
        Assert.Equal(PassTrigger.Webhook, followUp.Trigger);
        await harness.CompleteAndIdleAsync(followUp, PassOutcome.Converged);

        Assert.False(harness.Pass.TryGetCall(out _), "three requests during one pass make one follow-up pass");
        Assert.Equal(2, harness.Pass.CallCount);
        Assert.Equal(1, harness.Pass.MaxConcurrent);
    }

    [Fact]
    public async Task Loop_TriggerWhileIdle_RunsAPassWithoutWaitingForTheTimer()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        await harness.CompleteAndIdleAsync(await harness.Pass.NextCallAsync(), PassOutcome.Converged);

        harness.Loop.Request(PassTrigger.Webhook);

        var call = await harness.Pass.NextCallAsync();
        Assert.Equal(PassTrigger.Webhook, call.Trigger);
        call.Complete(PassOutcome.Converged);
    }

    [Fact]
    public async Task RequestAndWait_DuringAPass_GetsTheResultOfTheNextPassNotTheRunningOne()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        var running = await harness.Pass.NextCallAsync();

        var sync = harness.Loop.RequestAndWaitAsync(PassTrigger.Cli, CancellationToken.None);
        running.Result.SetResult(new PassResult(PassOutcome.Converged, "old", "running pass", TimeSpan.Zero));

        var next = await harness.Pass.NextCallAsync();
        Assert.False(sync.IsCompleted, "the result of a pass that started before the request does not answer it");
        Assert.Equal(PassTrigger.Cli, next.Trigger);
        next.Result.SetResult(new PassResult(PassOutcome.Changed, "new", "applied", TimeSpan.Zero));

        var record = await sync.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, record.Number);
        Assert.Equal("new", record.Revision);
        Assert.Equal(PassOutcome.Changed, record.Outcome);
    }

    [Fact]
    public async Task RequestAndWait_RetryFailed_OnlyThePassServingTheRequestRetries()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        var startup = await harness.Pass.NextCallAsync();
        Assert.False(startup.Options.RetryFailed);

        // Asked while a pass runs: coalesces into the next pass, with a plain request made meanwhile.
        var retry = harness.Loop.RequestAndWaitAsync(PassTrigger.Cli, new PassOptions(RetryFailed: true), CancellationToken.None);
        var plain = harness.Loop.RequestAndWaitAsync(PassTrigger.Cli, CancellationToken.None);
        startup.Complete(PassOutcome.Stalled);

        var retrying = await harness.Pass.NextCallAsync();
        Assert.True(retrying.Options.RetryFailed);
        retrying.Complete(PassOutcome.Changed);
        Assert.Equal((await retry.WaitAsync(TimeSpan.FromSeconds(10))).Number, (await plain.WaitAsync(TimeSpan.FromSeconds(10))).Number);

        // The request is used up: the next pass (here, another sync) does not retry.
        var later = harness.Loop.RequestAndWaitAsync(PassTrigger.Cli, CancellationToken.None);
        var after = await harness.Pass.NextCallAsync();
        Assert.False(after.Options.RetryFailed);
        after.Complete(PassOutcome.Converged);
        await later.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(null, true, false)]
    [InlineData("true", true, true)]
    [InlineData("True", true, true)]
    [InlineData("false", true, false)]
    [InlineData("yes", false, false)]
    public void SyncEndpoint_RetryFailedParameter_ParsesStrictly(string? value, bool valid, bool expected)
    {
        var values = value is null ? Microsoft.Extensions.Primitives.StringValues.Empty : new Microsoft.Extensions.Primitives.StringValues(value);

        Assert.Equal(valid, Berth.Daemon.Http.DaemonEndpoints.TryParseRetryFailed(values, out var retryFailed));
        Assert.Equal(expected, retryFailed);
    }

    [Fact]
    public async Task Loop_PassThrows_IsCountedAndTheLoopGoesOn()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        var first = await harness.Pass.NextCallAsync();

        harness.DrainIdle();
        first.Result.SetException(new InvalidOperationException("engine exploded"));
        await harness.IdleAsync();

        var status = harness.Status.Current;
        Assert.Equal(1, status.Loop.PassExceptions);
        Assert.Equal(1, status.Loop.ConsecutiveFailures);
        Assert.Equal(PassOutcome.Transient, status.LastAttempted!.Outcome);
        Assert.Equal("PassException", status.LastAttempted.Reason);
        Assert.Contains("engine exploded", status.LastAttempted.Summary, StringComparison.Ordinal);

        harness.Loop.Request(PassTrigger.Cli);
        var second = await harness.Pass.NextCallAsync();
        second.Complete(PassOutcome.Converged);
    }

    [Fact]
    public async Task Loop_PassThrows_CountsAnErrorPassWithItsDuration()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        var first = await harness.Pass.NextCallAsync();

        harness.DrainIdle();
        harness.Time.Advance(TimeSpan.FromSeconds(3));
        first.Result.SetException(new InvalidOperationException("engine exploded"));
        await harness.IdleAsync();

        // docs/metrics.md: result="error" includes exceptions; the pass also lands in the duration histogram.
        var series = await Berth.Tests.Metrics.MetricsText.ScrapeAsync(harness.Registry);
        Assert.Equal(1, series["berth_reconcile_passes_total{result=\"error\"}"]);
        Assert.Equal(1, series["berth_reconcile_duration_seconds_count"]);
        Assert.Equal(3, series["berth_reconcile_duration_seconds_sum"]);
        Assert.Equal(1, harness.Status.Current.Loop.PassExceptions);
    }

    [Fact]
    public async Task Loop_PassReturnsAResult_LeavesThePassCountersToThePass()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        var first = await harness.Pass.NextCallAsync();

        await harness.CompleteAndIdleAsync(first, PassOutcome.Transient);

        // The pass records its own result (GitOpsPass calls RecordPass/RecordPassError): no double count.
        var series = await Berth.Tests.Metrics.MetricsText.ScrapeAsync(harness.Registry);
        Assert.Equal(0, series["berth_reconcile_passes_total{result=\"error\"}"]);
        Assert.Equal(0, series["berth_reconcile_duration_seconds_count"]);
    }

    [Fact]
    public async Task Loop_RepeatedFailures_BackOffExponentiallyAndResetOnSuccess()
    {
        // random 0 => no jitter: the delays are exactly 5 s, 10 s, 20 s, then the 60 s interval.
        await using var harness = new LoopHarness(random01: 0);
        await harness.StartAsync();
        var call = await harness.Pass.NextCallAsync();
        var delays = new List<TimeSpan>();

        foreach (var outcome in new[] { PassOutcome.Transient, PassOutcome.Transient, PassOutcome.Transient, PassOutcome.Converged })
        {
            var completedAt = harness.Time.GetUtcNow();
            var dueAt = await harness.CompleteAndIdleAsync(call, outcome);
            delays.Add(dueAt - completedAt);
            harness.Time.Advance(dueAt - completedAt);
            call = await harness.Pass.NextCallAsync();
            Assert.Equal(PassTrigger.Timer, call.Trigger);
        }

        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60)], delays);
        call.Complete(PassOutcome.Converged);
    }

    [Fact]
    public async Task Loop_StalledOutcome_WaitsTheFullIntervalWithoutBackoff()
    {
        await using var harness = new LoopHarness(random01: 0);
        await harness.StartAsync();
        var startedAt = harness.Time.GetUtcNow();

        var dueAt = await harness.CompleteAndIdleAsync(await harness.Pass.NextCallAsync(), PassOutcome.Stalled);

        Assert.Equal(startedAt + TimeSpan.FromSeconds(60), dueAt);
        Assert.Equal(0, harness.Status.Current.Loop.ConsecutiveFailures);
    }

    [Fact]
    public async Task Loop_StoppedWhileIdle_StopsPromptlyAndCancelsWaiters()
    {
        var harness = new LoopHarness();
        await harness.StartAsync();
        await harness.CompleteAndIdleAsync(await harness.Pass.NextCallAsync(), PassOutcome.Converged);

        await harness.DisposeAsync();

        Assert.False(harness.Liveness.Check(harness.Time.GetUtcNow()).Alive);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Loop.RequestAndWaitAsync(PassTrigger.Cli, CancellationToken.None));
    }

    [Fact]
    public async Task Loop_StoppedDuringAPass_PassSeesCancellationAndPendingSyncIsCancelled()
    {
        var harness = new LoopHarness();
        await harness.StartAsync();
        var first = await harness.Pass.NextCallAsync();
        first.Complete(PassOutcome.Converged);
        harness.Loop.Request(PassTrigger.Cli);
        var running = await harness.Pass.NextCallAsync();
        var sync = harness.Loop.RequestAndWaitAsync(PassTrigger.Cli, CancellationToken.None);

        // The pass honours the stopping token between steps: here it throws as soon as it is cancelled.
        running.CancellationToken.Register(() => running.Result.TrySetCanceled(running.CancellationToken));
        await harness.DisposeAsync();

        Assert.True(running.CancellationToken.IsCancellationRequested);
        Assert.Equal("Interrupted", harness.Status.Current.LastAttempted!.Reason);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sync);
    }

    [Fact]
    public async Task Liveness_PassRunsLongerThanTheBound_ReportsStuck()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        var call = await harness.Pass.NextCallAsync();

        harness.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(harness.Liveness.Check(harness.Time.GetUtcNow()).Alive);

        harness.Time.Advance(TimeSpan.FromMinutes(2));
        var verdict = harness.Liveness.Check(harness.Time.GetUtcNow());
        Assert.False(verdict.Alive);
        Assert.Contains("stuck", verdict.Reason, StringComparison.Ordinal);

        call.Complete(PassOutcome.Converged);
    }

    [Fact]
    public async Task Liveness_IdleLoop_StaysAliveAcrossLongWaits()
    {
        await using var harness = new LoopHarness();
        await harness.StartAsync();
        await harness.CompleteAndIdleAsync(await harness.Pass.NextCallAsync(), PassOutcome.Converged);

        // Advance in heartbeat-sized steps, as the real clock would; the loop heartbeats on each.
        for (var step = 0; step < 10; step++)
        {
            harness.DrainIdle();
            harness.Time.Advance(harness.Options.HeartbeatPeriod);
            await harness.IdleAsync();
            Assert.True(harness.Liveness.Check(harness.Time.GetUtcNow()).Alive);
        }
    }
}
