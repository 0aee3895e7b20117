using Berth.Reconciler.Execution;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;

namespace Berth.Daemon.Notifications;

/// <summary>
/// Pure: which notifications a pass gives rise to, from what the loop and the apply know. The pass's
/// condition reason sorts failures: a rollback, a refused commit (invalid, unsigned, against the
/// policy, unsafe: nothing ran), any other stall. Transient failures (git or engine unreachable) are
/// retried by the loop and are not notified; the metrics and alerts cover an outage that lasts.
/// </summary>
public static class NotificationEvents
{
    /// <summary>Reasons of a commit refused before anything ran (GitOpsPass and PassVerdict; git's refusals end in "Refused" or name the signature).</summary>
    public static bool IsRefusal(string reason) =>
        reason is "InvalidCommit" or "DesiredStateRefused" or "HostNotInInventory"
        || reason.Contains("Signature", StringComparison.Ordinal)
        || reason.EndsWith("Refused", StringComparison.Ordinal) && reason != "EngineRefused";

    /// <summary>The failure a completed pass reports, or null when it succeeded or failed transiently.</summary>
    public static Notification? Failure(PassRecord pass, string host, DateTimeOffset now)
    {
        // A later wave holding a commit the earlier waves have not proven yet is the rollout working, not a
        // failure (the alert BerthWaveGateUnavailable covers a gate that cannot be asked).
        if (pass.Outcome != PassOutcome.Stalled || pass.Reason == Passes.GitOpsPass.WaveHeldReason)
        {
            return null;
        }

        var (kind, severity, what) = pass.Reason switch
        {
            "RolledBack" => (NotificationEvent.RolledBack, NotificationSeverity.Error, "rolled back"),
            _ when IsRefusal(pass.Reason) => (NotificationEvent.CommitRefused, NotificationSeverity.Error, "commit refused"),
            _ => (NotificationEvent.Stalled, NotificationSeverity.Error, "stalled"),
        };
        var revision = pass.Revision;
        return new Notification(kind, severity, host, revision, $"{host}: {what} ({Short(revision)})", pass.Summary,
            $"{Notification.EventName(kind)}|{revision}|{pass.Reason}", now);
    }

    /// <summary>The host converged again after a failure that was notified.</summary>
    public static Notification Recovered(PassRecord pass, string host, DateTimeOffset now) =>
        new(NotificationEvent.Recovered, NotificationSeverity.Info, host, pass.Revision, $"{host}: recovered ({Short(pass.Revision)})", pass.Summary,
            $"recovered|{pass.Revision}", now);

    /// <summary>Drift repairs and orphaned volumes an apply reports; one notification per kind, naming every service or volume.</summary>
    public static IReadOnlyList<Notification> FromApply(string revision, ApplyResult result, string host, DateTimeOffset now)
    {
        var notifications = new List<Notification>();
        var repaired = (result.Report?.Steps ?? [])
            .Where(step => step.Result == StepResult.Succeeded && step.Step.RepairsDrift)
            .Select(step => step.Step.QualifiedService ?? step.Step.Action)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (repaired.Count > 0)
        {
            notifications.Add(new Notification(NotificationEvent.DriftRepaired, NotificationSeverity.Warning, host, revision,
                $"{host}: drift repaired", $"put back to the spec of {Short(revision)}: {string.Join(", ", repaired)}",
                // Each repair is news: the same drift coming back means someone keeps changing the host.
                $"driftRepaired|{revision}|{string.Join(",", repaired)}|{now.ToUnixTimeMilliseconds()}", now));
        }

        var orphaned = result.Plan.Notices
            .Where(notice => notice.Kind == PlanNoticeKind.OrphanedVolume)
            .Select(notice => notice.Resource)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (orphaned.Count > 0)
        {
            notifications.Add(new Notification(NotificationEvent.OrphanedVolume, NotificationSeverity.Warning, host, revision,
                $"{host}: orphaned volume(s) kept", $"{string.Join(", ", orphaned)}: left the spec; berth keeps their data (settings.prune_volumes: true removes them)",
                // Every pass sees them again: once per repeat interval while the set stays the same.
                $"orphanedVolume|{string.Join(",", orphaned)}", now));
        }

        return notifications;
    }

    private static string Short(string? revision) => revision is { Length: > 12 } ? revision[..12] : revision ?? "no commit";
}
