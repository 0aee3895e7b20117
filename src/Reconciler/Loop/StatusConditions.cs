namespace Berth.Reconciler.Loop;

/// <summary>
/// Derives the Ready / Reconciling / Stalled conditions from the loop's events. Pure: (previous, event,
/// now) -> next; a condition's <c>Since</c> moves only when its status changes (lastTransitionTime).
/// </summary>
public static class StatusConditions
{
    public static IReadOnlyList<Condition> Initial(DateTimeOffset now) =>
    [
        new(ConditionTypes.Ready, ConditionStatus.Unknown, "Progressing", "no pass has completed yet", now),
        new(ConditionTypes.Reconciling, ConditionStatus.True, "Progressing", "starting", now),
        new(ConditionTypes.Stalled, ConditionStatus.False, "Progressing", "", now),
    ];

    /// <summary>A pass started: Reconciling=True; Ready and Stalled keep what the last pass said.</summary>
    public static IReadOnlyList<Condition> PassStarted(IReadOnlyList<Condition> previous, PassTrigger trigger, DateTimeOffset now) =>
    [
        Find(previous, ConditionTypes.Ready),
        Transition(Find(previous, ConditionTypes.Reconciling), ConditionStatus.True, "Progressing", $"pass running (trigger: {trigger})", now),
        Find(previous, ConditionTypes.Stalled),
    ];

    /// <summary>A pass completed.</summary>
    public static IReadOnlyList<Condition> PassCompleted(IReadOnlyList<Condition> previous, PassRecord pass, DateTimeOffset now)
    {
        var succeeded = pass.Outcome.Succeeded();
        // Reconciling stays True while berth will retry by itself (a transient failure): the host is
        // still on its way. Stalled needs a person, so berth is not "reconciling" then.
        var retrying = pass.Outcome == PassOutcome.Transient;
        var stalled = pass.Outcome == PassOutcome.Stalled;

        return
        [
            Transition(Find(previous, ConditionTypes.Ready),
                succeeded ? ConditionStatus.True : ConditionStatus.False,
                succeeded ? "ReconciliationSucceeded" : pass.Reason,
                pass.Summary,
                now),
            Transition(Find(previous, ConditionTypes.Reconciling),
                retrying ? ConditionStatus.True : ConditionStatus.False,
                retrying ? "RetryScheduled" : pass.Reason,
                retrying ? pass.Summary : "",
                now),
            Transition(Find(previous, ConditionTypes.Stalled),
                stalled ? ConditionStatus.True : ConditionStatus.False,
                pass.Reason,
                stalled ? pass.Summary : "",
                now),
        ];
    }

    /// <summary>The reason to report when the pass gave none: the outcome's name, e.g. "Failed".</summary>
    public static string DefaultReason(PassOutcome outcome) => outcome switch
    {
        PassOutcome.Converged or PassOutcome.Changed => "ReconciliationSucceeded",
        PassOutcome.Transient => "ReconciliationFailed",
        PassOutcome.Stalled => "Stalled",
        _ => outcome.ToString(),
    };

    private static Condition Find(IReadOnlyList<Condition> conditions, string type) =>
        conditions.FirstOrDefault(condition => condition.Type == type)
        ?? new Condition(type, ConditionStatus.Unknown, "Progressing", "", DateTimeOffset.MinValue);

    private static Condition Transition(Condition previous, ConditionStatus status, string reason, string message, DateTimeOffset now) =>
        new(previous.Type, status, reason, message, previous.Status == status ? previous.Since : now);
}
