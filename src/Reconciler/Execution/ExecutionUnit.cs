using System.Collections.Immutable;
using Berth.Reconciler.Planning;

namespace Berth.Reconciler.Execution;

/// <summary>
/// What the executor schedules: the nodes of one service (its waits, front, creates, starts and
/// rollout run together, <see cref="PlanGraph"/>), or one node that belongs to no service (an image, a
/// network, a volume, a front of a service that left the spec).
/// </summary>
/// <param name="Owner">The service ("stack/service"), or null for a node of its own.</param>
/// <param name="Steps">In plan order.</param>
/// <param name="After">Indexes (into the list <see cref="From"/> returns) of the units that must finish first.</param>
internal sealed record ExecutionUnit(string? Owner, List<PlanStep> Steps, ImmutableArray<int> After)
{
    /// <summary>The plan's units in the order of their first node; their edges are the plan's edges between units.</summary>
    /// <exception cref="InvalidOperationException">The graph has a cycle (berth's own bug: the planner only links backwards).</exception>
    public static List<ExecutionUnit> From(Plan plan)
    {
        var unitOfNode = new Dictionary<int, int>();
        var members = new List<(string? Owner, List<PlanNode> Nodes)>();
        var unitOfOwner = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in plan.Nodes)
        {
            int unit;
            if (node.Owner is { } owner && unitOfOwner.TryGetValue(owner, out var existing))
            {
                unit = existing;
            }
            else
            {
                unit = members.Count;
                members.Add((node.Owner, []));
                if (node.Owner is { } newOwner)
                {
                    unitOfOwner[newOwner] = unit;
                }
            }

            members[unit].Nodes.Add(node);
            unitOfNode[node.Id] = unit;
        }

        var units = members.Select((member, index) => new ExecutionUnit(
            member.Owner,
            [.. member.Nodes.Select(node => node.Step)],
            [.. member.Nodes.SelectMany(node => node.After).Select(id => unitOfNode[id]).Where(unit => unit != index).Distinct().Order()])).ToList();
        ThrowOnCycle(units);
        return units;
    }

    private static void ThrowOnCycle(List<ExecutionUnit> units)
    {
        // Kahn: every unit must become ready; one that never does sits on a cycle, which would hang the pass.
        var waiting = units.Select(unit => unit.After.Length).ToArray();
        var dependents = units.Select(_ => new List<int>()).ToArray();
        for (var index = 0; index < units.Count; index++)
        {
            foreach (var dependency in units[index].After)
            {
                dependents[dependency].Add(index);
            }
        }

        var ready = new Queue<int>(Enumerable.Range(0, units.Count).Where(index => waiting[index] == 0));
        var done = 0;
        while (ready.TryDequeue(out var unit))
        {
            done++;
            foreach (var dependent in dependents[unit])
            {
                if (--waiting[dependent] == 0)
                {
                    ready.Enqueue(dependent);
                }
            }
        }

        if (done != units.Count)
        {
            throw new InvalidOperationException("the plan's graph has a cycle; this is a bug in berth's planner");
        }
    }
}
