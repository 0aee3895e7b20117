using Berth.Daemon.Fleet;
using Berth.Daemon.Loop;
using Berth.Reconciler.Forge;
using Berth.Reconciler.Loop;
using Berth.Tests.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Tests.Fleet;

/// <summary>What a host reports on each commit, through the sender, to the loopback forge.</summary>
public sealed class CommitStatusReporterTests : IAsyncLifetime
{
    private const string CommitA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string CommitB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string Context = "berth/web-1";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private LoopbackForge forge = null!;
    private CommitStatusSender sender = null!;
    private CommitStatusReporter reporter = null!;

    public async Task InitializeAsync()
    {
        forge = LoopbackForge.Start(ForgeKind.GitHub);
        sender = new CommitStatusSender(forge.CreateProvider(http), TimeProvider.System, NullLogger<CommitStatusSender>.Instance);
        await sender.StartAsync(CancellationToken.None);
        reporter = new CommitStatusReporter(sender, CommitStatusReporter.ContextFor("berth", "web-1"), "web-1", "https://berth.example.com/web-1");
    }

    public async Task DisposeAsync()
    {
        await sender.StopAsync(CancellationToken.None);
        sender.Dispose();
        await forge.DisposeAsync();
    }

    /// <summary>
    /// What a real pass does: "pending" goes out while it applies (seconds). Without the wait, "success"
    /// would replace the queued "pending" before it was sent (the latest state wins).
    /// </summary>
    private async Task ApplyStartingAndPendingSentAsync(string revision)
    {
        reporter.ApplyStarting(revision);
        await forge.WaitUntilAsync(f => f.StatesOf(revision, Context).Contains("pending"), Deadline, "pending");
    }

    private static PassRecord Pass(PassOutcome outcome, string? revision, string summary, string reason = "ReconciliationSucceeded") =>
        new(1, PassTrigger.Timer, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), outcome, revision, summary, reason);

    [Fact]
    public async Task NewCommit_PendingWhileApplyingThenSuccess_AndIdlePassesPostNothing()
    {
        await ApplyStartingAndPendingSentAsync(CommitA);
        reporter.OnPassCompleted(Pass(PassOutcome.Changed, CommitA, "aaaaaaaaaaaa: 2 change(s) applied"));
        // Idle passes on the same commit: it was applied, nothing changed for the forge.
        reporter.ApplyStarting(CommitA);
        reporter.OnPassCompleted(Pass(PassOutcome.Converged, CommitA, "aaaaaaaaaaaa: no changes"));
        reporter.ApplyStarting(CommitA);
        reporter.OnPassCompleted(Pass(PassOutcome.Converged, CommitA, "aaaaaaaaaaaa: no changes"));
        // A marker: statuses are sent in order, so once B's lands, every status about A has been sent.
        reporter.ApplyStarting(CommitB);
        await forge.WaitUntilAsync(f => f.Latest(CommitB).ContainsKey(Context), Deadline, "the marker");

        Assert.Equal(["pending", "success"], forge.StatesOf(CommitA, Context));
        var success = forge.Latest(CommitA)[Context];
        Assert.Equal("converged and healthy on web-1", success.Description);
        Assert.Equal("https://berth.example.com/web-1", success.TargetUrl);
        Assert.Equal("applying on web-1", forge.Latest(CommitB)[Context].Description);
        Assert.Empty(forge.Violations);
    }

    [Fact]
    public async Task RefusedCommit_FailureWithTheReasonAndTheFirstErrorAndNoPending()
    {
        reporter.OnPassCompleted(Pass(PassOutcome.Stalled, CommitA,
            "commit aaaaaaaaaaaa is invalid (1 error(s)), keeping what runs; first: stacks/shop/compose.yaml:4:7: unknown key 'imagee'", "InvalidCommit"));

        await forge.WaitUntilAsync(f => f.Latest(CommitA).ContainsKey(Context), Deadline, "the failure");
        Assert.Equal(["failure"], forge.StatesOf(CommitA, Context));
        Assert.Equal("InvalidCommit: stacks/shop/compose.yaml:4:7: unknown key 'imagee'",
            forge.Latest(CommitA)[Context].Description);
    }

    [Fact]
    public async Task HeldByItsWave_PendingNotFailure_ThenSuccessWhenTheGateOpens()
    {
        // A later wave's host that has applied nothing yet waits for the earlier waves: the commit is unproven, not bad.
        reporter.OnPassCompleted(Pass(PassOutcome.Stalled, CommitA,
            "held: wave 2 waits for wave 1: canary-1 (wave 1) has not reported commit aaaaaaaaaaaa converged and healthy; nothing applied yet", "WaveHeld"));
        await forge.WaitUntilAsync(f => f.Latest(CommitA).ContainsKey(Context), Deadline, "the pending status");
        Assert.Equal(["pending"], forge.StatesOf(CommitA, Context));
        Assert.StartsWith("waiting on ", forge.Latest(CommitA)[Context].Description, StringComparison.Ordinal);

        reporter.OnPassCompleted(Pass(PassOutcome.Changed, CommitA, "aaaaaaaaaaaa: converged"));
        await forge.WaitUntilAsync(f => f.StatesOf(CommitA, Context).Contains("success"), Deadline, "the success");
        Assert.Equal(["pending", "success"], forge.StatesOf(CommitA, Context));
    }

    [Fact]
    public async Task RolledBack_FailureWithTheOneLineReason_ThenHeldBackPassesPostNothing()
    {
        await ApplyStartingAndPendingSentAsync(CommitA);
        reporter.OnPassCompleted(Pass(PassOutcome.Stalled, CommitA, "aaaaaaaaaaaa: shop/web: health gate failed (shop-web-1: exit code 1)", "RolledBack"));
        reporter.ApplyStarting(CommitA);
        reporter.OnPassCompleted(Pass(PassOutcome.Stalled, CommitA, "aaaaaaaaaaaa: revision held back", "RevisionFailedBefore"));
        reporter.ApplyStarting(CommitB);
        await forge.WaitUntilAsync(f => f.Latest(CommitB).ContainsKey(Context), Deadline, "the marker");

        Assert.Equal(["pending", "failure"], forge.StatesOf(CommitA, Context));
        Assert.Equal("RolledBack: shop/web: health gate failed (shop-web-1: exit code 1)", forge.Latest(CommitA)[Context].Description);
    }

    [Fact]
    public async Task TransientFailureOrNoCommit_PostsNothing_TheCommitStaysPending()
    {
        reporter.OnPassCompleted(Pass(PassOutcome.Transient, null, "git: connection refused", "SourceUnavailable"));
        await ApplyStartingAndPendingSentAsync(CommitA);
        reporter.OnPassCompleted(Pass(PassOutcome.Transient, CommitA, "Docker Engine unavailable", "EngineUnavailable"));
        reporter.ApplyStarting(CommitA);
        reporter.OnPassCompleted(Pass(PassOutcome.Changed, CommitA, "aaaaaaaaaaaa: 1 change(s) applied"));

        await forge.WaitUntilAsync(f => f.StatesOf(CommitA, Context).Count == 2, Deadline, "pending and success");
        Assert.Equal(["pending", "success"], forge.StatesOf(CommitA, Context));
    }

    [Fact]
    public async Task PassCompletes_WhileTheForgeIsDownAndTheSenderRetries()
    {
        // Held until the retrying sender has stopped (disposed after it, declared before it).
        using var closed = new ClosedPort();
        var down = new CountingProvider(new ForgeRepository(ForgeKind.GitHub, new Uri($"http://127.0.0.1:{closed.Port}/"), "acme/deploy").CreateProvider(http, () => "t"));
        using var downSender = new CommitStatusSender(down, TimeProvider.System, NullLogger<CommitStatusSender>.Instance,
            new CommitStatusSenderOptions { RetryDelay = TimeSpan.FromMilliseconds(20), RetryMaxDelay = TimeSpan.FromMilliseconds(50), MaxRetryAttempts = 10_000 });
        await downSender.StartAsync(CancellationToken.None);
        var downReporter = new CommitStatusReporter(downSender, Context, "web-1", null);
        await using var harness = new LoopHarness(listeners: [downReporter]);
        await harness.StartAsync();

        var call = await harness.Pass.NextCallAsync();
        downReporter.ApplyStarting(CommitA); // what GitOpsPass does before touching the engine
        harness.DrainIdle();
        call.Complete(PassOutcome.Changed, CommitA);
        await harness.IdleAsync();

        // The loop finished the pass and armed its timer, and the sender keeps trying after that.
        Assert.Equal(PassOutcome.Changed, harness.Status.Current.LastAttempted!.Outcome);
        var attemptsAtPassEnd = down.Attempts;
        await Poll.UntilAsync(() => down.Attempts >= attemptsAtPassEnd + 2, Deadline, "retries after the pass completed");
        await downSender.StopAsync(CancellationToken.None);
    }
}
