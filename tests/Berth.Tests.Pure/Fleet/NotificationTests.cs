using System.Text.Json.Nodes;
using Berth.Daemon.Notifications;
using Berth.Reconciler.Loop;
using Microsoft.Extensions.Logging.Abstractions;
using Berth.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Fleet;

/// <summary>Which passes notify, throttling of repeats, and the HTTP sinks against loopback receivers.</summary>
public sealed class NotificationTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    private static PassRecord Pass(PassOutcome outcome, string reason, string summary = "summary", string? revision = Commit) =>
        new(1, PassTrigger.Timer, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), outcome, revision, summary, reason);

    [Theory]
    [InlineData("RolledBack", NotificationEvent.RolledBack)]
    [InlineData("InvalidCommit", NotificationEvent.CommitRefused)]
    [InlineData("DesiredStateRefused", NotificationEvent.CommitRefused)]
    [InlineData("SignatureRefused", NotificationEvent.CommitRefused)]
    [InlineData("HostNotInInventory", NotificationEvent.CommitRefused)]
    [InlineData("ApplyFailed", NotificationEvent.Stalled)]
    [InlineData("EngineRefused", NotificationEvent.Stalled)]
    [InlineData("RevisionFailedBefore", NotificationEvent.Stalled)]
    public void Failure_StalledPass_IsSortedByItsReason(string reason, NotificationEvent expected)
    {
        var notification = NotificationEvents.Failure(Pass(PassOutcome.Stalled, reason), "web-1", time.GetUtcNow());

        Assert.Equal(expected, notification!.Event);
        Assert.Equal(NotificationSeverity.Error, notification.Severity);
        Assert.Equal("web-1", notification.Host);
    }

    [Fact]
    public void Failure_HeldByItsWave_NotifiesNothing() =>
        // Waiting for the earlier waves is the rollout working; BerthWaveGateUnavailable alerts on a gate that cannot be asked.
        Assert.Null(NotificationEvents.Failure(Pass(PassOutcome.Stalled, "WaveHeld"), "web-1", time.GetUtcNow()));

    [Theory]
    [InlineData(PassOutcome.Transient)]
    [InlineData(PassOutcome.Converged)]
    [InlineData(PassOutcome.Changed)]
    public void Failure_PassThatIsNotStalled_NotifiesNothing(PassOutcome outcome) =>
        Assert.Null(NotificationEvents.Failure(Pass(outcome, "EngineUnavailable"), "web-1", time.GetUtcNow()));

    [Fact]
    public void Throttle_SameFailureAgain_SentOncePerIntervalAndARecoveryAlways()
    {
        var throttle = new NotificationThrottle(TimeSpan.FromHours(1));
        Notification Failure() => NotificationEvents.Failure(Pass(PassOutcome.Stalled, "RolledBack"), "web-1", time.GetUtcNow())!;

        Assert.True(throttle.ShouldSend(Failure()));
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.False(throttle.ShouldSend(Failure()));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.ShouldSend(Failure()));
        // Another failure is news at once.
        Assert.True(throttle.ShouldSend(NotificationEvents.Failure(Pass(PassOutcome.Stalled, "InvalidCommit"), "web-1", time.GetUtcNow())!));

        var recovered = NotificationEvents.Recovered(Pass(PassOutcome.Changed, "ReconciliationSucceeded"), "web-1", time.GetUtcNow());
        Assert.True(throttle.ShouldSend(recovered));
        Assert.True(throttle.ShouldSend(recovered));
        // After a recovery, the same failure again is news again.
        Assert.True(throttle.ShouldSend(Failure()));
    }

    [Fact]
    public async Task Dispatcher_RepeatedFailureThenSuccess_SendsTheFailureOnceAndTheRecovery()
    {
        await using var receiver = LoopbackReceiver.Start();
        using var dispatcher = new NotificationDispatcher(
            [new NotificationRoute(new JsonWebhookSink(http, receiver.UrlFor("/hook")), new HashSet<NotificationEvent>())],
            "web-1", TimeSpan.FromHours(1), time, NullLogger<NotificationDispatcher>.Instance);
        await dispatcher.StartAsync(CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            dispatcher.OnPassCompleted(Pass(PassOutcome.Stalled, "RolledBack", "0123456789ab: shop/web: health gate failed"));
            time.Advance(TimeSpan.FromMinutes(1));
        }

        dispatcher.OnPassCompleted(Pass(PassOutcome.Changed, "ReconciliationSucceeded", "0123456789ab: 1 change(s) applied"));
        dispatcher.OnPassCompleted(Pass(PassOutcome.Converged, "ReconciliationSucceeded", "0123456789ab: no changes"));

        var received = await receiver.WaitForAsync(2, Deadline);
        Assert.Equal(["rolledBack", "recovered"], received.Select(request => JsonNode.Parse(request.Body)!["event"]!.GetValue<string>()));
        var failure = JsonNode.Parse(received[0].Body)!;
        Assert.Equal("error", failure["severity"]!.GetValue<string>());
        Assert.Equal("web-1", failure["host"]!.GetValue<string>());
        Assert.Equal(Commit, failure["revision"]!.GetValue<string>());
        Assert.Equal("web-1: rolled back (0123456789ab)", failure["title"]!.GetValue<string>());
        Assert.Equal("0123456789ab: shop/web: health gate failed", failure["message"]!.GetValue<string>());
        Assert.Equal("application/json; charset=utf-8", received[0].Headers["Content-Type"]);
        Assert.Equal("POST", received[0].Method);
        await dispatcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Dispatcher_SinkWithAnEventsFilter_GetsOnlyThoseEvents()
    {
        await using var everything = LoopbackReceiver.Start();
        await using var onlyRefusals = LoopbackReceiver.Start();
        using var dispatcher = new NotificationDispatcher(
            [
                new NotificationRoute(new JsonWebhookSink(http, everything.UrlFor("/")), new HashSet<NotificationEvent>()),
                new NotificationRoute(new JsonWebhookSink(http, onlyRefusals.UrlFor("/")), new HashSet<NotificationEvent> { NotificationEvent.CommitRefused }),
            ],
            "web-1", TimeSpan.FromHours(1), time, NullLogger<NotificationDispatcher>.Instance);
        await dispatcher.StartAsync(CancellationToken.None);

        dispatcher.OnPassCompleted(Pass(PassOutcome.Stalled, "RolledBack"));
        dispatcher.OnPassCompleted(Pass(PassOutcome.Stalled, "InvalidCommit"));

        await everything.WaitForAsync(2, Deadline);
        var refused = await onlyRefusals.WaitForAsync(1, Deadline);
        Assert.Equal("commitRefused", JsonNode.Parse(Assert.Single(refused).Body)!["event"]!.GetValue<string>());
        await dispatcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Dispatcher_SinkFailsTransiently_RetriesAndDoesNotHoldUpTheOtherSinks()
    {
        await using var failing = LoopbackReceiver.Start();
        await using var working = LoopbackReceiver.Start();
        failing.FailNext(2, 503);
        using var dispatcher = new NotificationDispatcher(
            [
                new NotificationRoute(new SlackWebhookSink(http, failing.UrlFor("/hooks/T000/B000/XXXX")), new HashSet<NotificationEvent>()),
                new NotificationRoute(new SlackWebhookSink(http, working.UrlFor("/hooks/T000/B000/YYYY")), new HashSet<NotificationEvent>()),
            ],
            "web-1", TimeSpan.FromHours(1), TimeProvider.System, NullLogger<NotificationDispatcher>.Instance,
            new NotificationRetryOptions { RetryDelay = TimeSpan.FromMilliseconds(50) });
        await dispatcher.StartAsync(CancellationToken.None);

        dispatcher.OnPassCompleted(Pass(PassOutcome.Stalled, "RolledBack"));

        await working.WaitForAsync(1, Deadline);
        await failing.WaitForAsync(1, Deadline);
        Assert.Equal([503, 503, 200], failing.Attempts.Select(request => request.AnsweredStatus));
        await dispatcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task SlackSink_PostsTheTextFieldSlackMattermostAndDiscordAccept()
    {
        await using var receiver = LoopbackReceiver.Start();
        var sink = new SlackWebhookSink(http, receiver.UrlFor("/hooks/T000/B000/XXXX"));

        await sink.SendAsync(NotificationEvents.Failure(Pass(PassOutcome.Stalled, "InvalidCommit", "commit 0123456789ab is invalid"), "web-1", time.GetUtcNow())!, CancellationToken.None);

        var request = Assert.Single(receiver.Received);
        var body = JsonNode.Parse(request.Body)!.AsObject();
        Assert.Equal(["text"], body.Select(pair => pair.Key));
        Assert.Equal(":red_circle: *web-1: commit refused (0123456789ab)*\ncommit 0123456789ab is invalid", body["text"]!.GetValue<string>());
        Assert.Equal("/hooks/T000/B000/XXXX", request.Path);
        // The hook URL's path is its secret: the sink's name (in logs) leaves it out.
        Assert.DoesNotContain("XXXX", sink.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NtfySink_PostsTheMessageWithTitlePriorityTagsAndToken()
    {
        await using var receiver = LoopbackReceiver.Start();
        var tokenFile = Path.GetTempFileName();
        File.WriteAllText(tokenFile, "tk_ntfytoken\n");
        try
        {
            var sink = new NtfySink(http, receiver.UrlFor("/berth-alerts"), () => File.ReadAllText(tokenFile).Trim());

            await sink.SendAsync(NotificationEvents.Failure(Pass(PassOutcome.Stalled, "RolledBack", "shop/web: health gate failed"), "web-1", time.GetUtcNow())!, CancellationToken.None);

            var request = Assert.Single(receiver.Received);
            Assert.Equal("/berth-alerts", request.Path);
            Assert.Equal("shop/web: health gate failed", request.Body);
            Assert.Equal("web-1: rolled back (0123456789ab)", request.Headers["Title"]);
            Assert.Equal("4", request.Headers["Priority"]);
            Assert.Equal("rotating_light,rolledBack", request.Headers["Tags"]);
            Assert.Equal("Bearer tk_ntfytoken", request.Headers["Authorization"]);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public void FromApply_ContainerStoppedOutsideBerthAndRestarted_NotifiesTheDriftRepairOfThatService()
    {
        var db = TestSpecs.Service("shop", "db", TestSpecs.Container());
        var desired = TestSpecs.Desired("web-1", TestSpecs.Stack("shop", [db]));
        var stopped = TestObserved.Running(db, 1) with { State = Berth.Reconciler.Observe.ContainerRunState.Exited, ExitCode = 137 };
        var plan = Berth.Reconciler.Planning.Planner.Create(desired, TestObserved.State([stopped]), TestObserved.Applied("web-1", db));
        var start = Assert.Single(plan.Steps);
        var report = new Berth.Reconciler.Execution.ExecutionReport(
            [new Berth.Reconciler.Execution.StepOutcome(start, Berth.Reconciler.Execution.StepResult.Succeeded, "healthy")],
            [new Berth.Reconciler.Execution.ServiceOutcome("shop/db", Berth.Reconciler.Execution.RolloutResult.Succeeded, "converged", null)]);

        var notifications = NotificationEvents.FromApply(Commit, new Berth.Reconciler.Reconciliation.ApplyResult(null!, Commit, plan, report), "web-1", time.GetUtcNow());

        var repaired = Assert.Single(notifications);
        Assert.Equal(NotificationEvent.DriftRepaired, repaired.Event);
        Assert.Equal("put back to the spec of 0123456789ab: shop/db", repaired.Message);
    }

    [Fact]
    public void FromApply_OrphanedVolume_IsNotified()
    {
        var plan = new Berth.Reconciler.Planning.Plan("web-1", [], [new Berth.Reconciler.Planning.PlanNotice("shop_olddata", "orphaned volume kept", Berth.Reconciler.Planning.PlanNoticeKind.OrphanedVolume)], []);
        var result = new Berth.Reconciler.Reconciliation.ApplyResult(null!, Commit, plan, null);

        var notifications = NotificationEvents.FromApply(Commit, result, "web-1", time.GetUtcNow());

        var orphaned = Assert.Single(notifications);
        Assert.Equal(NotificationEvent.OrphanedVolume, orphaned.Event);
        Assert.StartsWith("shop_olddata: left the spec", orphaned.Message, StringComparison.Ordinal);
    }
}
