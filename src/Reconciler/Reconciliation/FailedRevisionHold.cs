using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Planning;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// What a revision that failed before still may do on this host: everything except the changes that
/// failed. Pure, so the rule is tested without an engine.
/// </summary>
/// <remarks>
/// The rule (docs/reconcile.md, "Failed revisions"): a revision is held only for the services whose
/// new containers failed their health gate with it (the record's <see cref="FailedRevision.Services"/>).
/// Their steps, including drift repair of those services, are dropped from the plan: they keep what
/// runs (the rolled-back version). Every other step still runs, so a container of another service that
/// was stopped by hand is started, and networks, volumes and removals converge. A service of the failed
/// set that no longer has steps (it matches the revision now) holds nothing.
/// </remarks>
public static class FailedRevisionHold
{
    /// <returns>The plan to execute and the services held back (sorted); the plan itself when nothing is held.</returns>
    public static (Plan Plan, ImmutableArray<string> Held) Apply(Plan plan, FailedRevision? failed)
    {
        if (failed is null || !plan.HasChanges)
        {
            return (plan, []);
        }

        var withChanges = plan.Steps.Where(step => step.QualifiedService is not null && !IsFrontRepair(step)).Select(step => step.QualifiedService!).ToHashSet(StringComparer.Ordinal);

        // A record written before berth kept the failed services holds every service with changes (the old rule).
        var failedServices = failed.Services.IsDefault ? withChanges : failed.Services.ToHashSet(StringComparer.Ordinal);
        ImmutableArray<string> held = [.. withChanges.Where(failedServices.Contains).Order(StringComparer.Ordinal)];
        if (held.IsEmpty)
        {
            return (plan, held);
        }

        var heldSet = held.ToHashSet(StringComparer.Ordinal);
        // A restart that follows only held dependencies goes with them: they are not updated in this pass.
        ImmutableArray<PlanStep> kept = [.. plan.Steps.Where(step =>
            (step.QualifiedService is not { } owner || !heldSet.Contains(owner) || IsFrontRepair(step))
            && !(step is RestartContainerStep restart && restart.Triggers.All(heldSet.Contains)))];
        var at = failed.At.ToString("u", CultureInfo.InvariantCulture);
        var notices = plan.Notices.AddRange(held.Select(service => new PlanNotice(
            service,
            $"held back: its rollout of revision {failed.Revision} failed at {at}; retried when the desired state changes or with --retry-failed")));
        return (plan with { Steps = kept, Notices = notices }, held);
    }

    /// <summary>
    /// A held service without a working front answers nothing at all, so putting back the front that
    /// ran is never held (<see cref="EnsureFrontStep.RestoresWhatRan"/>). A front the held revision
    /// introduced or changed is that revision's change, and is held with it.
    /// </summary>
    private static bool IsFrontRepair(PlanStep step) => step is EnsureFrontStep { RestoresWhatRan: true };
}
