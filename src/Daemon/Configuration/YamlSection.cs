using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Daemon.Configuration;

/// <summary>
/// Collects config errors with their position in the file. The same stack as the desired-state
/// repository's (<see cref="ErrorCollector"/>, <see cref="SpecError"/>): one form, file:line:column, for
/// every file berth reads, sorted by place.
/// </summary>
internal sealed class ConfigErrors(string file)
{
    private readonly ErrorCollector errors = new();
    private NodeReader? reader;

    public string File { get; } = file;

    public ErrorCollector Collector => errors;

    /// <summary>Typed reads with the spec's messages (durations: <see cref="NodeReader.Duration"/>).</summary>
    public NodeReader Reader => reader ??= new NodeReader(errors);

    public int Count => errors.Count;

    public IReadOnlyList<SpecError> All => errors.ToSortedArray();

    public void Add(Location at, string message) => errors.Add(at, message);

    /// <summary>A problem with the file as a whole: reported at its start (1:1), as the spec does.</summary>
    public void AddForFile(string message) => errors.Add(Location.StartOf(File), message);
}

/// <summary>
/// A YAML mapping read key by key, reporting every problem (unknown key, wrong node type) with its
/// position instead of stopping at the first. Keys not listed as known are errors: a typo such as
/// `intervall:` must not silently fall back to a default. Built on the spec's YAML tree
/// (<see cref="YamlDocumentLoader"/>): every duplicate key is reported, merge keys work, limits apply.
/// </summary>
internal sealed class YamlSection
{
    private readonly Dictionary<string, (ScalarNode Key, Node Value)> entries = new(StringComparer.Ordinal);
    private readonly ConfigErrors errors;

    public YamlSection(MappingNode node, string path, ConfigErrors errors, params string[] knownKeys)
    {
        this.errors = errors;
        Path = path;
        Start = node.Start;
        foreach (var entry in node.Entries)
        {
            var key = entry.Key.Value;
            if (!knownKeys.Contains(key, StringComparer.Ordinal))
            {
                errors.Add(entry.Key.Start, $"unknown key '{Qualify(key)}' (known here: {string.Join(", ", knownKeys)})");
                continue;
            }

            entries[key] = (entry.Key, entry.Value);
        }
    }

    /// <summary>Dotted path of this section ("" for the root), for messages.</summary>
    public string Path { get; }

    public Location Start { get; }

    public string Qualify(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => entries.ContainsKey(key);

    /// <summary>The scalar node of a key (for typed reads through <see cref="NodeReader"/>); null when absent or null/empty.</summary>
    public ScalarNode? ScalarNode(string key)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Value is not ScalarNode scalar)
        {
            errors.Add(entry.Value.Start, $"{Qualify(key)}: expected a single value, found {entry.Value.KindDescription}");
            return null;
        }

        // `key:`, `key: ~` and `key: null` all mean "not set" (plain scalars only: "null" in quotes is a string).
        return scalar.IsNull || scalar.Value.Length == 0 ? null : scalar;
    }

    /// <summary>A scalar's text and where it is; null when the key is absent or its value is null/empty.</summary>
    public (string Value, Location At)? Scalar(string key) =>
        ScalarNode(key) is { } scalar ? (scalar.Value, scalar.Start) : null;

    /// <summary>
    /// A list of scalars with their positions; null when absent or null. A single value is read as a
    /// one-element list (`key: a` means the same as `key: [a]`); any other kind is an error.
    /// </summary>
    public IReadOnlyList<(string Value, Location At)>? Sequence(string key)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Value is ScalarNode)
        {
            return Scalar(key) is { } single ? [single] : null;
        }

        if (entry.Value is not SequenceNode sequence)
        {
            errors.Add(entry.Value.Start, $"{Qualify(key)}: expected a list, found {entry.Value.KindDescription}");
            return null;
        }

        var items = new List<(string Value, Location At)>();
        foreach (var item in sequence.Items)
        {
            if (item is ScalarNode { IsNull: false, Value.Length: > 0 } scalar)
            {
                items.Add((scalar.Value, scalar.Start));
            }
            else
            {
                errors.Add(item.Start, $"{Qualify(key)}: every entry must be a single value, found {item.KindDescription}");
            }
        }

        return items;
    }

    /// <summary>A nested mapping; null when absent or null. A value of another kind is an error.</summary>
    public YamlSection? Section(string key, params string[] knownKeys)
    {
        if (!entries.TryGetValue(key, out var entry) || entry.Value is ScalarNode { IsNull: true })
        {
            return null;
        }

        if (entry.Value is not MappingNode mapping)
        {
            errors.Add(entry.Value.Start, $"{Qualify(key)}: expected a mapping (key: value lines), found {entry.Value.KindDescription}");
            return null;
        }

        return new YamlSection(mapping, Qualify(key), errors, knownKeys);
    }

    /// <summary>The value of a key as written, for a reader of its own (the `policy:` section); null when absent.</summary>
    public Node? Value(string key) => entries.TryGetValue(key, out var entry) ? entry.Value : null;

    public Location KeyPosition(string key) => entries.TryGetValue(key, out var entry) ? entry.Key.Start : Start;
}
