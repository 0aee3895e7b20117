using System.Collections.Immutable;
using System.Text.Json;
using Berth.Daemon.Http;
using Berth.Reconciler.Loop;
using Berth.Reconciler.State;

namespace Berth.Tests.Daemon;

public sealed class StatusBoardTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static PassRecord Pass(long number, PassOutcome outcome, string? revision = "abc", string reason = "R", DateTimeOffset? at = null) =>
        new(number, PassTrigger.Timer, at ?? T0, TimeSpan.FromSeconds(1), outcome, revision, $"pass {number}", reason);

    private static Condition Condition(StatusSnapshot status, string type) => status.Conditions.Single(condition => condition.Type == type);

    [Fact]
    public void Board_New_ReadyIsUnknown()
    {
        var board = new StatusBoard("h", "v", T0);

        Assert.Equal(ConditionStatus.Unknown, Condition(board.Current, ConditionTypes.Ready).Status);
        Assert.Null(board.Current.LastAttempted);
    }

    [Fact]
    public void Board_ChangedThenFailed_KeepsLastAppliedAndTracksLastAttempted()
    {
        var board = new StatusBoard("h", "v", T0);

        board.RecordPassCompleted(Pass(1, PassOutcome.Changed, "rev1"), default, 0, 0, T0.AddSeconds(1));
        board.RecordPassCompleted(Pass(2, PassOutcome.Transient, "rev2", "GitFetchFailed"), default, 1, 0, T0.AddSeconds(2));

        var status = board.Current;
        Assert.Equal("rev1", status.LastApplied!.Revision);
        Assert.Equal("rev2", status.LastAttempted!.Revision);
        Assert.Equal((ConditionStatus.False, "GitFetchFailed"), (Condition(status, ConditionTypes.Ready).Status, Condition(status, ConditionTypes.Ready).Reason));
        Assert.Equal(ConditionStatus.True, Condition(status, ConditionTypes.Reconciling).Status);
        Assert.Equal(ConditionStatus.False, Condition(status, ConditionTypes.Stalled).Status);
        Assert.Equal([2L, 1L], status.History.Select(pass => pass.Number));
    }

    [Fact]
    public void Board_Stalled_StalledTrueReconcilingFalse()
    {
        var board = new StatusBoard("h", "v", T0);

        board.RecordPassCompleted(Pass(1, PassOutcome.Stalled, "rev1", "SpecInvalid"), default, 0, 0, T0);

        var status = board.Current;
        Assert.Equal((ConditionStatus.True, "SpecInvalid"), (Condition(status, ConditionTypes.Stalled).Status, Condition(status, ConditionTypes.Stalled).Reason));
        Assert.Equal(ConditionStatus.False, Condition(status, ConditionTypes.Reconciling).Status);
        Assert.Null(status.LastApplied);
    }

    [Fact]
    public void Board_ConditionUnchanged_SinceDoesNotMove()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RecordPassCompleted(Pass(1, PassOutcome.Converged), default, 0, 0, T0.AddMinutes(1));
        board.RecordPassStarted(PassTrigger.Timer, T0.AddMinutes(2));
        board.RecordPassCompleted(Pass(2, PassOutcome.Converged), default, 0, 0, T0.AddMinutes(3));

        Assert.Equal(T0.AddMinutes(1), Condition(board.Current, ConditionTypes.Ready).Since);
    }

    [Fact]
    public void Board_PassWithoutServices_KeepsThePreviousServices()
    {
        var board = new StatusBoard("h", "v", T0);
        var services = ImmutableArray.Create(
            new ServiceStatus("web", "worker", 1, 1, 1, null),
            new ServiceStatus("web", "api", 2, 2, 2, null));

        board.RecordPassCompleted(Pass(1, PassOutcome.Converged), services, 0, 0, T0);
        board.RecordPassCompleted(Pass(2, PassOutcome.Transient), default, 1, 0, T0);

        Assert.Equal(["api", "worker"], board.Current.Services.Select(service => service.Service));
    }

    [Fact]
    public void Board_RolledBackThenAPassWithoutRollouts_KeepsTheRollbackAndItsEvidence()
    {
        var board = new StatusBoard("h", "v", T0);
        var rolledBack = new RolloutRecord(RolloutState.RolledBack, "rev2", T0, "web-1: unhealthy\nlast log: database unreachable");
        board.RecordPassCompleted(Pass(1, PassOutcome.Stalled, "rev2", "RolledBack"),
            [new ServiceStatus("web", "api", 2, 2, 2, rolledBack), new ServiceStatus("web", "worker", 1, 1, 1, null)], 0, 0, T0);

        // The next pass skips the failed revision: it observes the host but rolls nothing out.
        board.RecordPassCompleted(Pass(2, PassOutcome.Stalled, "rev2", "RevisionFailedBefore"),
            [new ServiceStatus("web", "api", 2, 1, 1, null), new ServiceStatus("web", "worker", 1, 1, 1, null)], 0, 0, T0.AddMinutes(1));

        var api = board.Current.Services.Single(service => service.Service == "api");
        Assert.Equal(rolledBack, api.LastRollout);
        Assert.Equal((1, 1), (api.Running, api.Healthy)); // the counts are this pass's, only the rollout is carried
        Assert.Null(board.Current.Services.Single(service => service.Service == "worker").LastRollout);
    }

    [Fact]
    public void Board_ANewerRollout_ReplacesTheCarriedOne()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RecordPassCompleted(Pass(1, PassOutcome.Stalled, "rev2"),
            [new ServiceStatus("web", "api", 2, 2, 2, new RolloutRecord(RolloutState.RolledBack, "rev2", T0, "boom"))], 0, 0, T0);
        board.RecordPassCompleted(Pass(2, PassOutcome.Converged, "rev2"), [new ServiceStatus("web", "api", 2, 2, 2, null)], 0, 0, T0);

        var succeeded = new RolloutRecord(RolloutState.Succeeded, "rev3", T0.AddMinutes(2), null);
        board.RecordPassCompleted(Pass(3, PassOutcome.Changed, "rev3"), [new ServiceStatus("web", "api", 2, 2, 2, succeeded)], 0, 0, T0);
        board.RecordPassCompleted(Pass(4, PassOutcome.Converged, "rev3"), [new ServiceStatus("web", "api", 2, 2, 2, null)], 0, 0, T0);

        Assert.Equal(succeeded, Assert.Single(board.Current.Services).LastRollout);
    }

    [Fact]
    public void Board_ServiceLeftTheSpecAndCameBack_ItsOldRolloutIsForgotten()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RecordPassCompleted(Pass(1, PassOutcome.Stalled),
            [new ServiceStatus("web", "api", 1, 1, 1, new RolloutRecord(RolloutState.Failed, "rev1", T0, "boom"))], 0, 0, T0);
        board.RecordPassCompleted(Pass(2, PassOutcome.Changed), [new ServiceStatus("web", "worker", 1, 1, 1, null)], 0, 0, T0);
        board.RecordPassCompleted(Pass(3, PassOutcome.Changed), [new ServiceStatus("web", "api", 1, 1, 1, null)], 0, 0, T0);

        Assert.Null(Assert.Single(board.Current.Services).LastRollout);
    }

    private static AppliedState SavedState() => AppliedState.Empty("h")
        .WithHistory(new HistoryEntry(T0.AddHours(-2), "rev1", HistoryResults.Converged, "converged"))
        .WithHistory(new HistoryEntry(T0.AddHours(-1), "rev2", HistoryResults.Failed, "web/api: rolled back")) with
    {
        LastAppliedRevision = "rev1",
        LastAppliedAt = T0.AddHours(-2),
        LastAttemptedRevision = "rev2",
        LastAttemptedAt = T0.AddHours(-1),
    };

    [Fact]
    public void Board_RestoredFromSavedState_ShowsLastAppliedLastAttemptAndHistory()
    {
        var board = new StatusBoard("h", "v", T0);

        board.RestoreFrom(SavedState());

        var status = board.Current;
        Assert.Equal(new AppliedRevision("rev1", T0.AddHours(-2)), status.LastApplied);
        Assert.Equal(new PassRecord(0, PassTrigger.Restored, T0.AddHours(-1), TimeSpan.Zero, PassOutcome.Stalled, "rev2", "web/api: rolled back", "ApplyFailed"), status.LastAttempted);
        Assert.Equal([("rev2", PassOutcome.Stalled), ("rev1", PassOutcome.Changed)], status.History.Select(pass => (pass.Revision, pass.Outcome)));
        Assert.Equal(ConditionStatus.Unknown, Condition(status, ConditionTypes.Ready).Status); // conditions are this process's
    }

    [Fact]
    public void Board_RestoredThenAPassOnAnInvalidTip_KeepsTheRestoredLastApplied()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RestoreFrom(SavedState());

        board.RecordPassCompleted(Pass(1, PassOutcome.Stalled, "rev3", "InvalidCommit"), default, 0, 0, T0.AddSeconds(1));

        var status = board.Current;
        Assert.Equal("rev1", status.LastApplied!.Revision);
        Assert.Equal("rev3", status.LastAttempted!.Revision);
        Assert.Equal([1L, 0L, 0L], status.History.Select(pass => pass.Number));
    }

    [Theory]
    [InlineData(HistoryResults.HeldBack, PassOutcome.Stalled, "RevisionFailedBefore")]
    [InlineData(HistoryResults.TransientFailure, PassOutcome.Transient, "EngineUnavailable")]
    [InlineData(HistoryResults.Failed, PassOutcome.Stalled, "ApplyFailed")]
    [InlineData(HistoryResults.RolledBack, PassOutcome.Stalled, "RolledBack")]
    public void Board_RestoredLastAttempt_HasTheOutcomeAndReasonTheDaemonReportedForIt(string result, PassOutcome outcome, string reason)
    {
        var board = new StatusBoard("h", "v", T0);

        board.RestoreFrom(AppliedState.Empty("h").WithHistory(new HistoryEntry(T0, "rev2", result, "summary")));

        Assert.Equal((outcome, reason), (board.Current.LastAttempted!.Outcome, board.Current.LastAttempted.Reason));
    }

    [Fact]
    public void Board_RestoredFromAnEmptyState_IsAsNew()
    {
        var board = new StatusBoard("h", "v", T0);

        board.RestoreFrom(AppliedState.Empty("h"));

        Assert.Null(board.Current.LastApplied);
        Assert.Null(board.Current.LastAttempted);
        Assert.Empty(board.Current.History);
    }

    [Fact]
    public void Readiness_OnlyARestoredPass_IsNotReady()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RestoreFrom(AppliedState.Empty("h").WithHistory(new HistoryEntry(T0, "rev1", HistoryResults.UpToDate, "up to date")));

        Assert.False(Readiness.Evaluate(board.Current, T0, TimeSpan.FromMinutes(1)).Ready);
    }

    [Fact]
    public void Board_ManyPasses_HistoryIsBounded()
    {
        var board = new StatusBoard("h", "v", T0);

        for (var number = 1; number <= 50; number++)
        {
            board.RecordPassCompleted(Pass(number, PassOutcome.Converged), default, 0, 0, T0);
        }

        Assert.Equal(StatusBoard.HistoryLength, board.Current.History.Count);
        Assert.Equal(50, board.Current.History[0].Number);
    }

    [Fact]
    public void Snapshot_Json_RoundTripsWithEnumsAsStrings()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RecordPassCompleted(
            Pass(1, PassOutcome.Stalled),
            [new ServiceStatus("web", "api", 2, 1, 0, new RolloutRecord(RolloutState.RolledBack, "abc", T0, "exit code 1\nlast log: boom"))],
            0, 0, T0);

        var json = JsonSerializer.Serialize(board.Current, StatusJsonContext.Default.StatusSnapshot);
        var back = JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusSnapshot)!;

        Assert.Contains("\"outcome\": \"Stalled\"", json, StringComparison.Ordinal);
        Assert.Contains("\"result\": \"RolledBack\"", json, StringComparison.Ordinal);
        Assert.Equal("exit code 1\nlast log: boom", back.Services[0].LastRollout!.Evidence);
        Assert.Equal(board.Current.LastAttempted, back.LastAttempted);
    }

    [Fact]
    public void Readiness_RecentConvergedPass_IsReady()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RecordPassCompleted(Pass(1, PassOutcome.Converged), default, 0, 0, T0);

        Assert.True(Readiness.Evaluate(board.Current, T0.AddMinutes(2), TimeSpan.FromMinutes(1)).Ready);
    }

    [Fact]
    public void Readiness_LastPassOlderThanThreeIntervals_IsNotReady()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RecordPassCompleted(Pass(1, PassOutcome.Converged), default, 0, 0, T0);

        Assert.False(Readiness.Evaluate(board.Current, T0.AddMinutes(3).AddSeconds(2), TimeSpan.FromMinutes(1)).Ready);
    }

    [Fact]
    public void Readiness_Stalled_IsNotReady()
    {
        var board = new StatusBoard("h", "v", T0);
        board.RecordPassCompleted(Pass(1, PassOutcome.Stalled, reason: "SpecInvalid"), default, 0, 0, T0);

        var (ready, reason) = Readiness.Evaluate(board.Current, T0, TimeSpan.FromMinutes(1));

        Assert.False(ready);
        Assert.Contains("SpecInvalid", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Readiness_NoPassYet_IsNotReady() =>
        Assert.False(Readiness.Evaluate(new StatusBoard("h", "v", T0).Current, T0, TimeSpan.FromMinutes(1)).Ready);
}
