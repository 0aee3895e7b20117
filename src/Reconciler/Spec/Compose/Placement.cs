using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>One `deploy.placement.constraints` entry: `node.labels.KEY == VALUE`, `node.hostname != NAME`.</summary>
/// <param name="Label">The label key for `node.labels.KEY`; null for `node.hostname`.</param>
internal sealed record PlacementConstraint(string? Label, bool MustEqual, string Value);

/// <summary>The host a stack is loaded for, as placement constraints see it.</summary>
/// <param name="Labels">Its labels in berth.yaml (none without an inventory).</param>
internal sealed record PlacementHost(string Name, ImmutableSortedDictionary<string, string> Labels);

/// <summary>
/// `deploy.placement.constraints`, Swarm's habit of node labels plus constraints, on berth's inventory: a
/// service whose constraints do not all hold for this host does not run on it (like a service of an
/// inactive profile). `node.labels.KEY` is matched against the host's `labels:` in berth.yaml and
/// `node.hostname` against its name there; values compare without regard to case, as Swarm compares
/// them. A missing label never equals a value (so `!=` holds), as in Swarm. Other node and engine
/// attributes are an error: berth has no other source for them that the commit could be checked against.
/// </summary>
internal static partial class Placement
{
    private const string LabelPrefix = "node.labels.";

    public static readonly FieldTable<ServiceTarget> Fields = new FieldTable<ServiceTarget>()
        .Field("constraints", ReadConstraints)
        .Unsupported("preferences", "spread preferences choose between nodes; berth places a service by the constraints of each host, one host at a time")
        .Unsupported("max_replicas_per_node", "every replica of a service runs on the host it is placed on; use deploy.replicas");

    private static void ReadConstraints(ServiceTarget target, Node node, string path)
    {
        var constraints = new List<Located<PlacementConstraint>>();
        foreach (var item in target.Reader.StringList(node, path) ?? [])
        {
            var match = ConstraintPattern().Match(item.Value);
            if (!match.Success)
            {
                target.Reader.Error(item, $"{path}: {item.Describe()} is not a constraint; write node.labels.KEY == VALUE, node.labels.KEY != VALUE or node.hostname == NAME");
                continue;
            }

            var field = match.Groups["field"].Value;
            var mustEqual = match.Groups["op"].Value == "==";
            var value = match.Groups["value"].Value;
            if (field == "node.hostname")
            {
                constraints.Add(new Located<PlacementConstraint>(new PlacementConstraint(null, mustEqual, value), item.Start));
            }
            else if (field.StartsWith(LabelPrefix, StringComparison.Ordinal) && field.Length > LabelPrefix.Length)
            {
                constraints.Add(new Located<PlacementConstraint>(new PlacementConstraint(field[LabelPrefix.Length..], mustEqual, value), item.Start));
            }
            else
            {
                target.Reader.Error(item, $"{path}: '{field}' is not supported by berth; it matches node.labels.KEY against the host's labels in berth.yaml and node.hostname against its name there");
            }
        }

        target.Draft.Placement = constraints;
    }

    /// <summary>Removes the services placed elsewhere, reporting active services that still need one of them.</summary>
    public static void Apply(ComposeFileDraft merged, PlacementHost host, NodeReader reader)
    {
        var elsewhere = merged.Services.Values
            .Where(service => service.Placement is { } constraints && !constraints.All(constraint => Holds(constraint.Value, host)))
            .ToDictionary(service => service.Name, StringComparer.Ordinal);
        InactiveServices.Remove(merged, elsewhere, service => $"is placed elsewhere by deploy.placement.constraints ({Describe(service)}), not on host '{host.Name}'", reader);
    }

    private static bool Holds(PlacementConstraint constraint, PlacementHost host)
    {
        var actual = constraint.Label is null ? host.Name : host.Labels.GetValueOrDefault(constraint.Label);
        var equal = actual is not null && string.Equals(actual, constraint.Value, StringComparison.OrdinalIgnoreCase);
        return equal == constraint.MustEqual;
    }

    private static string Describe(ServiceDraft service) =>
        string.Join(", ", service.Placement!.Select(constraint =>
            $"{(constraint.Value.Label is { } label ? LabelPrefix + label : "node.hostname")} {(constraint.Value.MustEqual ? "==" : "!=")} {constraint.Value.Value}"));

    // Swarm's grammar: a field, == or !=, a value; spaces around the operator are allowed.
    [GeneratedRegex(@"^\s*(?<field>[A-Za-z0-9_.\-]+)\s*(?<op>==|!=)\s*(?<value>\S(.*\S)?)\s*$")]
    private static partial Regex ConstraintPattern();
}
