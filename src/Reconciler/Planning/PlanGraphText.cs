using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Planning;

/// <summary>
/// The plan as `berth plan` prints it: every node with its number, cause and edges; a replacement with
/// the engine calls it makes, what undoes them when its gate fails, and what a failed rollout does.
/// Deterministic, so planner tests assert the whole text.
/// </summary>
public static class PlanGraphText
{
    public static string Render(Plan plan)
    {
        var text = new StringBuilder();
        text.Append("plan for host ").Append(plan.Host).Append(": ");
        text.Append(plan.Steps.IsEmpty ? "no changes" : $"{plan.Steps.Length} change{(plan.Steps.Length == 1 ? "" : "s")}").Append('\n');
        foreach (var node in plan.Nodes)
        {
            text.Append("  #").Append(node.Id.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(node.Step.Describe()).Append('\n');
            if (!node.After.IsEmpty)
            {
                text.Append("      after ").Append(Ids(node.After)).Append('\n');
            }

            if (node.Step is ReplaceContainerStep { Service.Update.Delay: var delay } replace && delay > TimeSpan.Zero
                && node.After.Any(id => plan.Nodes[id - 1].Step is ReplaceContainerStep earlier && earlier.Service.QualifiedName == replace.Service.QualifiedName))
            {
                text.Append("      then waits ").Append(DurationSyntax.Format(delay)).Append(" (update_config.delay)\n");
            }

            foreach (var line in Details(node.Step))
            {
                text.Append("      ").Append(line).Append('\n');
            }
        }

        foreach (var problem in plan.Problems)
        {
            text.Append("  error: ").Append(problem.QualifiedService is null ? "" : problem.QualifiedService + ": ").Append(problem.Message).Append('\n');
        }

        foreach (var notice in plan.Notices)
        {
            text.Append("  note: ").Append(notice.Resource).Append(": ").Append(notice.Message).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>What a node does besides its one line: the operations of a replacement, the gate of a new container.</summary>
    public static IEnumerable<string> Details(PlanStep step)
    {
        switch (step)
        {
            case ReplaceContainerStep replace:
                var procedure = replace.Procedure;
                for (var index = 0; index < procedure.Operations.Length; index++)
                {
                    yield return $"{(index + 1).ToString(CultureInfo.InvariantCulture)}. {procedure.Operations[index].Description}";
                }

                yield return $"if its gate fails: {string.Join("; ", procedure.OnGateFailure.Select(operation => operation.Description))}";
                yield return $"if the rollout fails: {RolloutFailure(replace)}";
                break;
            case CreateContainerStep or StartContainerStep:
                yield return $"health gate: {ReplacementProcedure.FirstDeployGateCondition(step.DesiredService!, step.DesiredService!.Update.Monitor)}";
                break;
            case ReconnectNetworkStep reconnect:
                var names = Engine.CreateParametersMapper.Aliases(reconnect.Service, reconnect.Network, attachAliases: true).ToList();
                yield return $"in place, {(names.Count == 0 ? "without the service's names (its front holds them)" : "answering to " + string.Join(", ", names))}: no restart, no health gate";
                break;
            case UpdateContainerStep:
                yield return "in place (the engine's update): no restart, no health gate";
                break;
            case RemoveFrontStep { OfDesiredService: true }:
                yield return "only when the service converged without it (its replicas answer to its names again); otherwise kept";
                break;
            case RestartContainerStep restart:
                yield return $"stop (grace {DurationSyntax.Format(restart.Service.StopGrace())}), start, health gate: {ReplacementProcedure.FirstDeployGateCondition(restart.Service, restart.Service.Update.Monitor)}";
                break;
        }
    }

    /// <summary>What a failed rollout of the service means for this replica, by failure_action.</summary>
    public static string RolloutFailure(ReplaceContainerStep replace)
    {
        var policy = replace.Service.Update;
        return policy.FailureAction switch
        {
            FailureAction.Continue => "the other replicas go on (failure_action: continue)",
            FailureAction.Pause => "the rollout pauses; this replica stays as it is then (failure_action: pause)",
            _ when replace.RollbackRefusal is { } refusal =>
                $"the previous config is refused by this host's policy now, so it is not rolled back to: replicas already replaced keep the new config and the rollout pauses ({refusal})",
            _ when replace.Rollback is { } rollback =>
                $"once replaced, it is put back to the previous config ({Order(rollback.Order)}{(rollback.OrderReason is null ? "" : ": " + rollback.OrderReason)}), behind the same gates by rollback_config; a failed rollback pauses",
            _ => "there is no previous config to roll back to: replicas already replaced keep the new config and the rollout pauses",
        };
    }

    private static string Order(UpdateOrder order) => order == UpdateOrder.StartFirst ? "start-first" : "stop-first";

    /// <summary>"#1, #3-#5": consecutive ids as a range, so a removal after fifty services stays one short line.</summary>
    public static string Ids(ImmutableArray<int> ids)
    {
        var parts = new List<string>();
        for (var index = 0; index < ids.Length;)
        {
            var end = index;
            while (end + 1 < ids.Length && ids[end + 1] == ids[end] + 1)
            {
                end++;
            }

            parts.Add(end - index >= 2
                ? $"#{ids[index].ToString(CultureInfo.InvariantCulture)}-#{ids[end].ToString(CultureInfo.InvariantCulture)}"
                : string.Join(", ", Enumerable.Range(index, end - index + 1).Select(position => $"#{ids[position].ToString(CultureInfo.InvariantCulture)}")));
            index = end + 1;
        }

        return string.Join(", ", parts);
    }
}
