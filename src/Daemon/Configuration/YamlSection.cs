using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Berth.Daemon.Configuration;

/// <summary>Collects config errors with their position in the file.</summary>
internal sealed class ConfigErrors(string file)
{
    private readonly List<ConfigError> errors = [];

    public string File { get; } = file;

    public IReadOnlyList<ConfigError> All => errors;

    public void Add(Mark at, string message) => errors.Add(new ConfigError(File, at.Line, at.Column, message));
}

/// <summary>
/// A YAML mapping read key by key, reporting every problem (unknown key, wrong node type) with its
/// position instead of stopping at the first. Keys not listed as known are errors: a typo such as
/// `intervall:` must not silently fall back to a default.
/// </summary>
internal sealed class YamlSection
{
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> entries = new(StringComparer.Ordinal);
    private readonly ConfigErrors errors;

    public YamlSection(YamlMappingNode node, string path, ConfigErrors errors, params string[] knownKeys)
    {
        this.errors = errors;
        Path = path;
        Start = node.Start;
        foreach (var (keyNode, valueNode) in node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalarKey)
            {
                errors.Add(keyNode.Start, $"{Path}: keys must be plain strings");
                continue;
            }

            if (!knownKeys.Contains(key, StringComparer.Ordinal))
            {
                errors.Add(keyNode.Start, $"unknown key '{Qualify(key)}' (known here: {string.Join(", ", knownKeys)})");
                continue;
            }

            entries[key] = (scalarKey, valueNode);
        }
    }

    /// <summary>Dotted path of this section ("" for the root), for messages.</summary>
    public string Path { get; }

    public Mark Start { get; }

    public string Qualify(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => entries.ContainsKey(key);

    /// <summary>A scalar's text and where it is; null when the key is absent or its value is null/empty.</summary>
    public (string Value, Mark At)? Scalar(string key)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Value is not YamlScalarNode scalar)
        {
            errors.Add(entry.Value.Start, $"{Qualify(key)}: expected a single value, found a {Describe(entry.Value)}");
            return null;
        }

        // `key:`, `key: ~` and `key: null` all mean "not set" (plain scalars only: "null" in quotes is a string).
        if (string.IsNullOrEmpty(scalar.Value)
            || (scalar.Style == ScalarStyle.Plain && scalar.Value is "~" or "null" or "Null" or "NULL"))
        {
            return null;
        }

        return (scalar.Value, scalar.Start);
    }

    /// <summary>
    /// A list of scalars with their positions; null when absent or null. A single value is read as a
    /// one-element list (`key: a` means the same as `key: [a]`); any other kind is an error.
    /// </summary>
    public IReadOnlyList<(string Value, Mark At)>? Sequence(string key)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Value is YamlScalarNode)
        {
            return Scalar(key) is { } single ? [single] : null;
        }

        if (entry.Value is not YamlSequenceNode sequence)
        {
            errors.Add(entry.Value.Start, $"{Qualify(key)}: expected a list, found a {Describe(entry.Value)}");
            return null;
        }

        var items = new List<(string Value, Mark At)>();
        foreach (var item in sequence.Children)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } value } scalar)
            {
                items.Add((value, scalar.Start));
            }
            else
            {
                errors.Add(item.Start, $"{Qualify(key)}: every entry must be a single value, found a {(item is YamlScalarNode ? "null" : Describe(item))}");
            }
        }

        return items;
    }

    /// <summary>A nested mapping; null when absent or null. A value of another kind is an error.</summary>
    public YamlSection? Section(string key, params string[] knownKeys)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Value is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return null;
        }

        if (entry.Value is not YamlMappingNode mapping)
        {
            errors.Add(entry.Value.Start, $"{Qualify(key)}: expected a mapping (key: value lines), found a {Describe(entry.Value)}");
            return null;
        }

        return new YamlSection(mapping, Qualify(key), errors, knownKeys);
    }

    public Mark KeyPosition(string key) => entries.TryGetValue(key, out var entry) ? entry.Key.Start : Start;

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "value",
    };
}
