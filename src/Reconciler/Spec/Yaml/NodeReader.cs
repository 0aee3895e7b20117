using System.Globalization;
using Berth.Reconciler.Spec.Validation;

namespace Berth.Reconciler.Spec.Yaml;

/// <summary>
/// Typed reads from the node tree. Each read either returns a value or adds one error at the node
/// (naming the field by its dotted path) and returns null, so a caller reads on and reports everything.
/// </summary>
internal sealed class NodeReader(ErrorCollector errors)
{
    private readonly HintBudget hintBudget = new(DidYouMean.WorkPerLoad);

    public ErrorCollector Errors { get; } = errors;

    /// <summary>An error about <paramref name="at"/>; when it holds a host-local value, the message is masked as a whole (ErrorCollector).</summary>
    public void Error(Node at, string message) => Errors.Add(at.Start, message, aboutSecretValue: at is ScalarNode { SecretVariable: not null });

    /// <summary>", did you mean 'x'?" or "", from work this load shares (see <see cref="DidYouMean"/>).</summary>
    public string Hint(string input, IEnumerable<string> candidates) => DidYouMean.Hint(input, candidates, hintBudget);

    public void Error(Location at, string message) => Errors.Add(at, message);

    public MappingNode? Mapping(Node node, string path)
    {
        if (node is MappingNode mapping)
        {
            return mapping;
        }

        Error(node, $"{path} must be a mapping, not {node.KindDescription}");
        return null;
    }

    /// <summary>A mapping, or an empty one for a null value (`backend:` with nothing after it).</summary>
    public MappingNode? MappingOrNull(Node node, string path) =>
        node is ScalarNode { IsNull: true } ? new MappingNode(node.Start, []) : Mapping(node, path);

    public SequenceNode? Sequence(Node node, string path)
    {
        if (node is SequenceNode sequence)
        {
            return sequence;
        }

        Error(node, $"{path} must be a list, not {node.KindDescription}");
        return null;
    }

    public ScalarNode? Scalar(Node node, string path)
    {
        if (node is ScalarNode { IsNull: false } scalar)
        {
            return scalar;
        }

        Error(node, $"{path} must be a string, not {node.KindDescription}");
        return null;
    }

    public string? String(Node node, string path) => Scalar(node, path)?.Value;

    public bool? Bool(Node node, string path)
    {
        // Not Scalar(): its "must be a string" would send the writer the wrong way for a boolean.
        if (node is not ScalarNode { IsNull: false } scalar)
        {
            Error(node, $"{path} must be true or false, not {node.KindDescription}");
            return null;
        }

        // YAML 1.2 core schema, as Compose (go-yaml v3) reads it: no yes/no/on/off.
        switch (scalar.Value)
        {
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            default:
                Error(node, $"{path} must be true or false, not {scalar.Describe()}");
                return null;
        }
    }

    public long? Integer(Node node, string path, long minimum, long maximum = long.MaxValue)
    {
        if (Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        if (long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && value >= minimum && value <= maximum)
        {
            return value;
        }

        var range = maximum == long.MaxValue ? $"an integer >= {minimum}" : $"an integer from {minimum} to {maximum}";
        Error(node, $"{path} must be {range}, not {scalar.Describe()}");
        return null;
    }

    public double? Number(Node node, string path, double minimum, double maximum)
    {
        if (Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        if (double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) && value >= minimum && value <= maximum)
        {
            return value;
        }

        Error(node, $"{path} must be a number from {minimum.ToString(CultureInfo.InvariantCulture)} to {maximum.ToString(CultureInfo.InvariantCulture)}, not {scalar.Describe()}");
        return null;
    }

    /// <summary>A duration (<see cref="DurationSyntax"/>) of at most <paramref name="longest"/> (default <see cref="DurationSyntax.Longest"/>).</summary>
    public TimeSpan? Duration(Node node, string path, TimeSpan? longest = null)
    {
        if (Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        var limit = longest ?? DurationSyntax.Longest;
        var valid = DurationSyntax.TryParse(scalar.Value, out var duration, out var problem);
        if (!valid && problem != DurationSyntax.OutOfRange)
        {
            Error(node, DurationSyntax.InvalidMessage(path, scalar.Describe(), problem!));
            return null;
        }

        // Past Go's range is longer than any limit: said as such, not as a syntax error.
        if (!valid || duration > limit)
        {
            Error(node, DurationSyntax.TooLongMessage(path, scalar.Describe(), limit));
            return null;
        }

        return duration;
    }

    public long? Size(Node node, string path)
    {
        if (Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        if (SizeSyntax.TryParse(scalar.Value, out var bytes))
        {
            return bytes;
        }

        Error(node, $"{path}: invalid size {scalar.Describe()} (use bytes or a number with a unit: 512m, 1g, 64k)");
        return null;
    }

    /// <summary>One of <paramref name="allowed"/>, exactly as written.</summary>
    public string? OneOf(Node node, string path, params string[] allowed)
    {
        if (String(node, path) is not { } value)
        {
            return null;
        }

        if (allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        Error(node, $"{path} must be one of {string.Join(", ", allowed)}, not {((ScalarNode)node).Describe()}{Hint(value, allowed)}");
        return null;
    }

    /// <summary>A string or a list of strings (`dns: 1.1.1.1` or `dns: [1.1.1.1]`).</summary>
    public List<ScalarNode>? StringOrList(Node node, string path)
    {
        if (node is ScalarNode { IsNull: false } single)
        {
            return [single];
        }

        if (Sequence(node, path) is not { } sequence)
        {
            return null;
        }

        var items = new List<ScalarNode>();
        foreach (var item in sequence.Items)
        {
            if (Scalar(item, path + " item") is { } scalar)
            {
                items.Add(scalar);
            }
        }

        return items;
    }

    /// <summary>A list of strings (a single string is an error).</summary>
    public List<ScalarNode>? StringList(Node node, string path) =>
        Sequence(node, path) is not null ? StringOrList(node, path) : null;

    /// <summary>
    /// A mapping or a list of `KEY=VALUE` (environment, labels, sysctls). A null value (`KEY:` or
    /// a bare `KEY` in list form) comes back as a null value: the caller decides what that means.
    /// </summary>
    public List<(ScalarNode Key, ScalarNode? Value)>? KeyValues(Node node, string path, char separator = '=')
    {
        var pairs = new List<(ScalarNode, ScalarNode?)>();
        switch (node)
        {
            case MappingNode mapping:
                foreach (var entry in mapping.Entries)
                {
                    if (entry.Value is ScalarNode scalar)
                    {
                        pairs.Add((entry.Key, scalar.IsNull ? null : scalar));
                    }
                    else
                    {
                        Error(entry.Value, $"{path}.{entry.Key.Value} must be a string, not {entry.Value.KindDescription}");
                    }
                }

                return pairs;

            case SequenceNode sequence:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in sequence.Items)
                {
                    if (Scalar(item, path + " item") is not { } scalar)
                    {
                        continue;
                    }

                    var separatorIndex = scalar.Value.IndexOf(separator, StringComparison.Ordinal);
                    var key = separatorIndex < 0 ? scalar.Value : scalar.Value[..separatorIndex];
                    if (key.Length == 0)
                    {
                        Error(item, $"{path} item {scalar.Describe()} has no name before '{separator}'");
                        continue;
                    }

                    if (!seen.Add(key))
                    {
                        Error(item, $"{path}: '{key}' is set twice");
                        continue;
                    }

                    var keyNode = new ScalarNode(scalar.Start, key, isPlain: true, isNull: false);
                    pairs.Add((keyNode, separatorIndex < 0 ? null : scalar.WithValue(scalar.Value[(separatorIndex + 1)..], scalar.SecretVariable)));
                }

                return pairs;

            case ScalarNode { IsNull: true }:
                return pairs;

            default:
                Error(node, $"{path} must be a mapping or a list of KEY{separator}VALUE, not {node.KindDescription}");
                return null;
        }
    }
}
