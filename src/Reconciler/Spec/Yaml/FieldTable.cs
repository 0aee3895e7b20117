namespace Berth.Reconciler.Spec.Yaml;

/// <summary>
/// The keys a mapping may have, each with its reader. Applying it to a mapping dispatches every key
/// and reports the others: a Compose field berth does not implement by name (never silently
/// ignored), anything else as unknown with a did-you-mean. `x-*` extensions are ignored, except
/// `x-berth` where the table does not read it.
/// </summary>
internal sealed class FieldTable<TTarget>
{
    private readonly Dictionary<string, Action<TTarget, Node, string>> readers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> unsupported = new(StringComparer.Ordinal);

    public IEnumerable<string> Keys => readers.Keys;

    public FieldTable<TTarget> Field(string key, Action<TTarget, Node, string> read)
    {
        readers.Add(key, read);
        return this;
    }

    /// <summary>A key that is valid Compose but that berth does not implement; <paramref name="hint"/> says what to do instead.</summary>
    public FieldTable<TTarget> Unsupported(string key, string hint)
    {
        unsupported.Add(key, "; " + hint);
        return this;
    }

    /// <summary>A Compose key berth may implement later; <paramref name="hint"/> says what to do until then.</summary>
    public FieldTable<TTarget> NotYetSupported(string key, string hint)
    {
        unsupported.Add(key, " yet; " + hint);
        return this;
    }

    public FieldTable<TTarget> Unsupported(params string[] keys) => UnsupportedKeys(keys);

    private FieldTable<TTarget> UnsupportedKeys(string[] keys)
    {
        foreach (var key in keys)
        {
            unsupported.Add(key, "");
        }

        return this;
    }

    /// <param name="path">Dotted path of the mapping, for messages ("services.web.deploy").</param>
    public void Apply(NodeReader reader, MappingNode mapping, TTarget target, string path)
    {
        foreach (var entry in mapping.Entries)
        {
            var key = entry.Key.Value;
            var fieldPath = path.Length == 0 ? key : $"{path}.{key}";
            var where = path.Length == 0 ? "at the top level" : $"in {path}";
            if (readers.TryGetValue(key, out var read))
            {
                read(target, entry.Value, fieldPath);
            }
            else if (key == "x-berth")
            {
                reader.Error(entry.Key, $"x-berth is not read {where}; berth reads x-berth on services only (see docs/repository-format.md)");
            }
            else if (key.StartsWith("x-", StringComparison.Ordinal))
            {
                // A Compose extension: free-form by definition (often an anchor template).
            }
            else if (unsupported.TryGetValue(key, out var hint))
            {
                reader.Error(entry.Key, $"'{fieldPath}' is not supported by berth{hint}");
            }
            else
            {
                reader.Error(entry.Key, $"unknown key '{key}' {where}{reader.Hint(key, readers.Keys.Concat(unsupported.Keys))}");
            }
        }
    }
}
