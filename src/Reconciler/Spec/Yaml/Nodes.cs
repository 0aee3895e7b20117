using System.Collections.Immutable;

namespace Berth.Reconciler.Spec.Yaml;

// berth's own YAML tree: every node keeps where it starts, keys stay in document order, duplicates
// were reported while building, and merge keys are already applied. YamlDotNet's representation
// model throws at the first duplicate key and loses the merge sources' positions, so we build this
// from its parser events instead (see YamlDocumentLoader).

internal abstract class Node(Location start, long weight)
{
    public Location Start { get; } = start;

    /// <summary>Nodes in this subtree with aliases expanded: bounds the work an alias bomb can cause.</summary>
    public long Weight { get; } = weight;

    /// <summary>"a string", "a list", "a mapping": for "must be X, got Y" messages.</summary>
    public abstract string KindDescription { get; }
}

internal sealed class ScalarNode(Location start, string value, bool isPlain, bool isNull, string? secretVariable = null)
    : Node(start, 1)
{
    public string Value { get; } = value;

    /// <summary>Unquoted in the YAML (a plain `~` or empty value is null; a quoted one is a string).</summary>
    public bool IsPlain { get; } = isPlain;

    public bool IsNull { get; } = isNull;

    /// <summary>
    /// Set when interpolation put a host-local (secret) value into this scalar: the name of one such
    /// variable. Messages must then describe the value by that name, never quote it.
    /// </summary>
    public string? SecretVariable { get; } = secretVariable;

    public override string KindDescription => IsNull ? "an empty value" : "a string";

    public ScalarNode WithValue(string newValue, string? secretVariable) =>
        new(Start, newValue, IsPlain, isNull: false, secretVariable);

    /// <summary>The value for an error message: quoted, or hidden when it contains a secret.</summary>
    public string Describe() =>
        SecretVariable is not null
            ? $"(value hidden: it contains host-local variable {SecretVariable})"
            : Value.Length > 80 ? $"'{Value[..77]}...'" : $"'{Value}'";
}

internal sealed record MappingEntry(ScalarNode Key, Node Value);

internal sealed class MappingNode(Location start, ImmutableArray<MappingEntry> entries)
    : Node(start, 1 + entries.Sum(entry => entry.Value.Weight + 1L))
{
    public ImmutableArray<MappingEntry> Entries { get; } = entries;

    public override string KindDescription => "a mapping";

    public Node? Get(string key) => Entries.FirstOrDefault(entry => entry.Key.Value == key)?.Value;
}

internal sealed class SequenceNode(Location start, ImmutableArray<Node> items)
    : Node(start, 1 + items.Sum(item => item.Weight))
{
    public ImmutableArray<Node> Items { get; } = items;

    public override string KindDescription => "a list";
}
