using System.Collections.Immutable;
using System.Text;

namespace Berth.Reconciler.Planning;

/// <summary>What a notice is about, so status and metrics can count them without parsing messages.</summary>
public enum PlanNoticeKind
{
    Other,

    /// <summary>Drift berth saw but did not repair (warn-only mode).</summary>
    Drift,

    /// <summary>A named volume that left the spec and is kept (berth never removes data implicitly).</summary>
    OrphanedVolume,
}

/// <summary>Something the plan reports without acting on it (orphaned volume, drift in warn-only mode).</summary>
public sealed record PlanNotice(string Resource, string Message, PlanNoticeKind Kind = PlanNoticeKind.Other);

/// <summary>Why (part of) the desired state cannot be applied; the rest of the plan still runs.</summary>
/// <param name="QualifiedService">The service that is held back, or null when the whole plan is refused.</param>
public sealed record PlanProblem(string? QualifiedService, string Message);

/// <summary>The ordered steps that take the engine from observed to desired, each with its cause.</summary>
public sealed record Plan(
    string Host,
    ImmutableArray<PlanStep> Steps,
    ImmutableArray<PlanNotice> Notices,
    ImmutableArray<PlanProblem> Problems)
{
    public bool HasChanges => !Steps.IsEmpty;

    /// <summary>True when the whole desired state was refused (e.g. it would empty the host).</summary>
    public bool Refused => Problems.Any(problem => problem.QualifiedService is null);

    /// <summary>The steps in plan order, each with its edges (<see cref="PlanGraph"/>): what the executor walks.</summary>
    /// <remarks>Linked whenever <see cref="Steps"/> is set, also by `with`, so the graph never lags the steps.</remarks>
    public ImmutableArray<PlanStep> Steps
    {
        get;
        init
        {
            field = value;
            Nodes = PlanGraph.Link(value);
        }
    } = Steps;

    /// <summary>The plan as a graph: <see cref="Steps"/> numbered, with the nodes each waits for.</summary>
    /// <remarks>The initializer links the constructor's steps (an initializer bypasses the init accessor above).</remarks>
    public ImmutableArray<PlanNode> Nodes { get; private init; } = PlanGraph.Link(Steps);

    /// <summary>The plan as a person reads it; deterministic, so planner tests assert the whole text.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("plan for host ").Append(Host).Append(": ");
        text.Append(Steps.IsEmpty ? "no changes" : $"{Steps.Length} change{(Steps.Length == 1 ? "" : "s")}").Append('\n');
        foreach (var step in Steps)
        {
            text.Append("  ").Append(step.Describe()).Append('\n');
        }

        foreach (var problem in Problems)
        {
            text.Append("  error: ").Append(problem.QualifiedService is null ? "" : problem.QualifiedService + ": ").Append(problem.Message).Append('\n');
        }

        foreach (var notice in Notices)
        {
            text.Append("  note: ").Append(notice.Resource).Append(": ").Append(notice.Message).Append('\n');
        }

        return text.ToString();
    }
}
