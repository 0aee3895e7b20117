using System.Net;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// What a pass records and how it ends, by kind of failure: only a failed health gate is held against
/// the revision, and only for the services it failed for. (Real-engine versions: Berth.Tests.Docker.)
/// </summary>
public sealed class HostReconcilerOutcomeTests : IDisposable
{
    private const string Host = "host-a";
    private const string Revision = "rev-1";
    private readonly string stateDirectory = Path.Combine(Path.GetTempPath(), "berth-pure-state-" + Guid.NewGuid().ToString("N"));
    private readonly FakeContainerEngine engine = new();
    private readonly StateStore stateStore;
    private readonly CountingStateStore countingStore;
    private readonly HostReconciler reconciler;

    public HostReconcilerOutcomeTests()
    {
        stateStore = new StateStore(stateDirectory);
        countingStore = new CountingStateStore(stateStore);
        reconciler = new HostReconciler(engine, countingStore, TimeProvider.System);
    }

    /// <summary>The real state store, counting the writes.</summary>
    private sealed class CountingStateStore(StateStore inner) : IStateStore
    {
        public int Saves { get; private set; }

        public Task<AppliedState> LoadAsync(string host, CancellationToken cancellationToken) => inner.LoadAsync(host, cancellationToken);

        public Task SaveAsync(AppliedState state, CancellationToken cancellationToken)
        {
            Saves++;
            return inner.SaveAsync(state, cancellationToken);
        }
    }

    /// <summary>Runs a pass and returns it with the number of state writes it made.</summary>
    private async Task<(ApplyResult Result, int Saves)> CountedAsync(Func<Task<ApplyResult>> pass)
    {
        var before = countingStore.Saves;
        var result = await pass();
        return (result, countingStore.Saves - before);
    }

    // Monitor zero: a container without a health check passes its gate once it runs.
    private static readonly RolloutPolicy Instant = FastUpdate with { Monitor = TimeSpan.Zero };

    private static DesiredState Shop(string image = Image) => Desired(Host, Stack("shop", [
        Service("shop", "api", Container(image)) with { Update = Instant },
        Service("shop", "web", Container()) with { Update = Instant },
    ]));

    private Task<ApplyResult> ApplyAsync(DesiredState desired, bool retryFailed = false) =>
        reconciler.ApplyAsync(desired, Revision, new ApplyOptions { RetryFailed = retryFailed }, _ => { }, CancellationToken.None);

    private async Task<AppliedState> StateAsync() => await stateStore.LoadAsync(Host, CancellationToken.None);

    [Fact]
    public async Task Apply_EngineAnswers503OnCreate_EndsTransientAndDoesNotHoldTheRevision()
    {
        engine.FailNextCreate = EngineErrors.Answer(HttpStatusCode.ServiceUnavailable, "engine restarting");

        var result = await ApplyAsync(Shop());

        Assert.Equal(ApplyOutcome.TransientFailure, result.Outcome);
        Assert.Empty((await StateAsync()).FailedRevisions);
        Assert.Equal(ApplyOutcome.Applied, (await ApplyAsync(Shop())).Outcome);
    }

    [Fact]
    public async Task Apply_ContainerRemovedDuringThePass_EndsTransientAndTheNextPassConverges()
    {
        // The gate's inspect finds the container it just started gone (removed by hand meanwhile): drift
        // during the pass, not a refusal that needs a person, and not evidence against the revision.
        engine.InspectFailures.Enqueue(EngineErrors.Answer(HttpStatusCode.NotFound, "{\"message\":\"No such container: 0123abcd\"}"));

        var result = await ApplyAsync(Shop());

        Assert.Equal(ApplyOutcome.TransientFailure, result.Outcome);
        Assert.Contains("changed during the pass", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Empty((await StateAsync()).FailedRevisions);
        Assert.True((await ApplyAsync(Shop())).Verdict.Succeeded);
    }

    [Fact]
    public async Task Apply_PullFailsOnTheNetwork_EndsTransientAndDoesNotHoldTheRevision()
    {
        const string image = "registry.example/api:2";
        engine.FailPulls = new ImagePullException(image, "Get \"https://registry.example/v2/\": dial tcp: lookup registry.example: no such host");

        var result = await ApplyAsync(Shop(image));

        Assert.Equal(ApplyOutcome.TransientFailure, result.Outcome);
        Assert.Empty((await StateAsync()).FailedRevisions);
        engine.FailPulls = null;
        Assert.Equal(ApplyOutcome.Applied, (await ApplyAsync(Shop(image))).Outcome);
    }

    [Fact]
    public async Task Apply_NameTakenByUnmanagedContainer_FailsWithoutHoldingTheRevisionSoTheOperatorsFixIsApplied()
    {
        engine.ForeignContainerNames.Add("shop-web-1");

        var result = await ApplyAsync(Shop());

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        Assert.Contains("container name shop-web-1 is taken by a container berth does not own", result.Summary, StringComparison.Ordinal);
        Assert.Empty((await StateAsync()).FailedRevisions);

        engine.ForeignContainerNames.Clear(); // the operator removed it
        Assert.Equal(ApplyOutcome.Applied, (await ApplyAsync(Shop())).Outcome);
    }

    [Fact]
    public async Task Apply_NewContainerFailsItsGate_HoldsOnlyThatServiceAndStillRepairsDriftOfOthers()
    {
        engine.ExitOnStart.Add("shop/api");

        var failed = await ApplyAsync(Shop());

        Assert.Equal(ApplyOutcome.Failed, failed.Outcome);
        var record = Assert.Single((await StateAsync()).FailedRevisions).Value;
        Assert.Equal<string>(["shop/api"], record.Services);
        Assert.True(engine.IsRunning("shop-web-1"));

        // web is stopped by hand: the held revision still repairs it, and does not touch api.
        engine.StopByHand("shop-web-1");
        var createdBefore = engine.Created.Count;
        var held = await ApplyAsync(Shop());

        Assert.Equal(ApplyOutcome.SkippedFailedRevision, held.Outcome);
        Assert.True(engine.IsRunning("shop-web-1"));
        Assert.Equal(createdBefore, engine.Created.Count);
        Assert.DoesNotContain(held.Plan.Steps, step => step.QualifiedService == "shop/api");
        Assert.Contains("shop/api held back", held.Summary, StringComparison.Ordinal);
        var stillHeld = Assert.Single((await StateAsync()).FailedRevisions).Value;
        Assert.Equal((record.At, record.Reason), (stillHeld.At, stillHeld.Reason));
        Assert.Equal<string>(["shop/api"], stillHeld.Services);

        // --retry-failed: api is tried again; once it starts, nothing is held any more.
        engine.ExitOnStart.Clear();
        var retried = await ApplyAsync(Shop(), retryFailed: true);
        Assert.Equal(ApplyOutcome.Applied, retried.Outcome);
        Assert.Empty((await StateAsync()).FailedRevisions);
    }

    [Fact]
    public async Task Apply_ForcedRetryInterruptedByTheEngine_KeepsTheServiceHeld()
    {
        engine.ExitOnStart.Add("shop/api");
        Assert.Equal(ApplyOutcome.Failed, (await ApplyAsync(Shop())).Outcome);
        engine.ExitOnStart.Clear();
        engine.FailNextStart = EngineErrors.Answer(HttpStatusCode.InternalServerError, "engine restarting");

        var retried = await ApplyAsync(Shop(), retryFailed: true);

        Assert.Equal(ApplyOutcome.TransientFailure, retried.Outcome);
        Assert.Equal<string>(["shop/api"], Assert.Single((await StateAsync()).FailedRevisions).Value.Services);
        Assert.Equal(ApplyOutcome.SkippedFailedRevision, (await ApplyAsync(Shop())).Outcome);
    }

    [Fact]
    public async Task Restart_AfterARolledBackPass_TheRestoredStatusSaysRolledBack()
    {
        Assert.Equal(ApplyOutcome.Applied, (await ApplyAsync(Shop())).Outcome);
        engine.ExitOnStart.Add("shop/api");
        var changed = Desired(Host, Stack("shop", [
            Service("shop", "api", Container()).WithEnvironment("MODE", "broken") with { Update = Instant },
            Service("shop", "web", Container()) with { Update = Instant },
        ]));

        var rolledBack = await reconciler.ApplyAsync(changed, "rev-2", new ApplyOptions(), _ => { }, CancellationToken.None);

        Assert.Contains(rolledBack.Report!.Services, service => service.Result == Berth.Reconciler.Execution.RolloutResult.RolledBack);
        var board = new Berth.Reconciler.Loop.StatusBoard(Host, "v", DateTimeOffset.UnixEpoch);
        board.RestoreFrom(await StateAsync());
        Assert.Equal((Berth.Reconciler.Loop.PassOutcome.Stalled, "RolledBack"), (board.Current.LastAttempted!.Outcome, board.Current.LastAttempted.Reason));
    }

    [Fact]
    public async Task Apply_EveryKindOfPass_WritesTheStateFileExactlyOnce()
    {
        var changed = Desired(Host, Stack("shop", [
            Service("shop", "api", Container()).WithEnvironment("MODE", "broken") with { Update = Instant },
            Service("shop", "web", Container()) with { Update = Instant },
        ]));
        Task<ApplyResult> Apply(DesiredState desired, string revision) =>
            reconciler.ApplyAsync(desired, revision, new ApplyOptions(), _ => { }, CancellationToken.None);

        var passes = new List<(ApplyOutcome, int)>
        {
            Summarised(await CountedAsync(() => Apply(Shop(), "rev-1"))),
            Summarised(await CountedAsync(() => Apply(Shop(), "rev-1"))),
        };
        engine.ExitOnStart.Add("shop/api");
        passes.Add(Summarised(await CountedAsync(() => Apply(changed, "rev-2"))));
        passes.Add(Summarised(await CountedAsync(() => Apply(changed, "rev-2"))));
        passes.Add(Summarised(await CountedAsync(() => Apply(Desired(Host), "rev-3"))));
        engine.FailNextCreate = EngineErrors.Answer(HttpStatusCode.ServiceUnavailable, "engine restarting");
        passes.Add(Summarised(await CountedAsync(() => Apply(changed with { Stacks = [.. changed.Stacks.Select(stack => stack with { Services = [.. stack.Services.Select(service => service.WithEnvironment("MODE", "other"))] })] }, "rev-4"))));

        Assert.Equal(
            [(ApplyOutcome.Applied, 1), (ApplyOutcome.UpToDate, 1), (ApplyOutcome.Failed, 1), (ApplyOutcome.SkippedFailedRevision, 1), (ApplyOutcome.Refused, 1), (ApplyOutcome.TransientFailure, 1)],
            passes);
        static (ApplyOutcome, int) Summarised((ApplyResult Result, int Saves) pass) => (pass.Result.Outcome, pass.Saves);
    }

    [Fact]
    public async Task Apply_HeldRevisionWithNothingElseToDo_RecordsTheAttemptAsHeldBack()
    {
        engine.ExitOnStart.Add("shop/api");
        Assert.Equal(ApplyOutcome.Failed, (await ApplyAsync(Shop())).Outcome);
        var failedAt = Assert.Single((await StateAsync()).FailedRevisions).Value.At;

        var held = await ApplyAsync(Shop());

        Assert.Equal(ApplyOutcome.SkippedFailedRevision, held.Outcome);
        var state = await StateAsync();
        Assert.Equal((HistoryResults.HeldBack, Revision), (state.History[0].Result, state.History[0].Revision));
        Assert.Equal(failedAt, Assert.Single(state.FailedRevisions).Value.At);
    }

    [Fact]
    public async Task Apply_EngineGoneBeforeThePassCouldLookAgain_ThrowsAndWritesNothing()
    {
        await ApplyAsync(Shop());
        var before = await File.ReadAllTextAsync(stateStore.PathFor(Host));
        var changed = Desired(Host, Stack("shop", [
            Service("shop", "api", Container()).WithEnvironment("MODE", "new") with { Update = Instant },
            Service("shop", "web", Container()) with { Update = Instant },
        ]));
        engine.ObserveFailures.Enqueue(null); // the pass's first look answers, the one after execution does not
        engine.ObserveFailures.Enqueue(new HttpRequestException("connection refused"));
        var savesBefore = countingStore.Saves;

        await Assert.ThrowsAsync<HttpRequestException>(() => ApplyAsync(changed));

        // No verdict, no record: the next pass observes again and decides (crash safety, HostReconciler.ApplyAsync).
        Assert.Equal(savesBefore, countingStore.Saves);
        Assert.Equal(before, await File.ReadAllTextAsync(stateStore.PathFor(Host)));
    }

    public void Dispose()
    {
        if (Directory.Exists(stateDirectory))
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }
}
