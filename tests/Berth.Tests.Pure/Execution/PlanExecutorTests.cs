using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Planning;
using Berth.Tests.Reconciliation;

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
