using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Validation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Inventory;

/// <summary>
/// Reads berth.yaml: `hosts` (name -> labels, vars), `stacks` (name -> compose, hosts, vars) and
/// `settings`. Checks names, host references and that every Compose file exists; the Compose
/// contents are read per host, because interpolation depends on the host's variables.
/// </summary>
internal static partial class InventoryReader
{
    public static HostInventory Read(string file, Node root, IRepositoryFiles files, NodeReader reader)
    {
        var draft = new InventoryDraft(files);
        if (reader.Mapping(root, "berth.yaml") is { } mapping)
        {
            RootFields.Apply(reader, mapping, (reader, draft), "");
            ResolveHostReferences(draft, reader);
        }

        return new HostInventory(
            file,
            draft.Hosts.ToImmutableSortedDictionary(StringComparer.Ordinal),
            draft.Stacks.ToImmutableSortedDictionary(pair => pair.Key, pair => pair.Value.Build(), StringComparer.Ordinal),
            draft.Settings)
        {
            Waves = [.. draft.Waves],
            PinnedImages = draft.PinnedImages,
        };
    }

    private sealed class InventoryDraft(IRepositoryFiles files)
    {
        public IRepositoryFiles Files { get; } = files;

        public Dictionary<string, InventoryHost> Hosts { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, StackDraft> Stacks { get; } = new(StringComparer.Ordinal);

        public RepositorySettings Settings { get; set; } = RepositorySettings.Default;

        public List<WaveDefinition> Waves { get; } = [];

        public Policy.PinningSource? PinnedImages { get; set; }
    }

    private sealed class StackDraft(string name, Location at)
    {
        public List<Located<string>> ComposeFiles { get; } = [];

        public List<ScalarNode> HostNames { get; } = [];

        public Dictionary<string, string>? Selector { get; set; }

        public Dictionary<string, string> Vars { get; } = new(StringComparer.Ordinal);

        public bool HasHosts { get; set; }

        public List<Located<string>>? Profiles { get; set; }

        public InventoryStack Build() => new(
            name,
            at,
            [.. ComposeFiles],
            [.. HostNames.Select(host => host.Value)],
            Selector?.ToImmutableSortedDictionary(StringComparer.Ordinal),
            Vars.ToImmutableSortedDictionary(StringComparer.Ordinal),
            Profiles is null ? null : [.. Profiles]);
    }

    private static readonly FieldTable<(NodeReader Reader, InventoryDraft Draft)> SettingsFields =
        new FieldTable<(NodeReader Reader, InventoryDraft Draft)>()
            .Field("allow_empty_state", (target, node, path) => target.Draft.Settings = target.Draft.Settings with { AllowEmptyState = target.Reader.Bool(node, path) ?? false })
            .Field("prune_volumes", (target, node, path) => target.Draft.Settings = target.Draft.Settings with { PruneVolumes = target.Reader.Bool(node, path) ?? false });

    /// <summary>
    /// The repository's own policy (`policy:`): rules every host of it follows whatever its host policy
    /// says. Only `pinnedImages` so far; the host's policy can tighten it but the repository cannot loosen a host.
    /// </summary>
    private static readonly FieldTable<(NodeReader Reader, InventoryDraft Draft)> PolicyFields =
        new FieldTable<(NodeReader Reader, InventoryDraft Draft)>()
            .Field("pinnedImages", (target, node, path) =>
            {
                var pinning = target.Reader.OneOf(node, path, "none", "tag", "digest") switch
                {
                    "tag" => Policy.ImagePinning.Tag,
                    "digest" => Policy.ImagePinning.Digest,
                    _ => Policy.ImagePinning.None,
                };
                target.Draft.PinnedImages = new Policy.PinningSource(pinning, node.Start);
            });

    private static void ReadHosts((NodeReader Reader, InventoryDraft Draft) target, Node node, string path)
    {
        var reader = target.Reader;
        foreach (var entry in reader.MappingOrNull(node, path)?.Entries ?? [])
        {
            var hostPath = $"hosts.{entry.Key.Value}";
            if (!HostNamePattern().IsMatch(entry.Key.Value))
            {
                reader.Error(entry.Key, $"invalid host name '{entry.Key.Value}' (letters, digits, '.', '-', '_'; starting with a letter or digit)");
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var vars = new Dictionary<string, string>(StringComparer.Ordinal);
            int? wave = null;
            if (reader.MappingOrNull(entry.Value, hostPath) is { } host)
            {
                new FieldTable<object?>()
                    .Field("labels", (_, value, fieldPath) => ReadStringMap(reader, value, fieldPath, labels))
                    .Field("vars", (_, value, fieldPath) => ReadVars(reader, value, fieldPath, vars))
                    .Field("wave", (_, value, fieldPath) => wave = ReadHostWave(reader, value, fieldPath))
                    .Apply(reader, host, null, hostPath);
            }

            target.Draft.Hosts[entry.Key.Value] = new InventoryHost(
                entry.Key.Value, labels.ToImmutableSortedDictionary(StringComparer.Ordinal), vars.ToImmutableSortedDictionary(StringComparer.Ordinal), wave);
        }
    }

    /// <summary>`hosts.NAME.wave`: a wave number from 1, or `skip` (in no wave).</summary>
    private static int? ReadHostWave(NodeReader reader, Node node, string path)
    {
        if (node is ScalarNode { Value: "skip" })
        {
            return InventoryHost.SkipWave;
        }

        if (node is ScalarNode scalar && !long.TryParse(scalar.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            reader.Error(node, $"{path} must be a wave number (1, 2, ...) or 'skip', not {scalar.Describe()}");
            return null;
        }

        return reader.Integer(node, path, 1, MaxWave) is { } wave ? (int)wave : null;
    }

    private const int MaxWave = 1000;

    /// <summary>`waves:`: a list; entry i is wave i+1, with its soak time and an optional label selector.</summary>
    private static void ReadWaves((NodeReader Reader, InventoryDraft Draft) target, Node node, string path)
    {
        var reader = target.Reader;
        if (node is not SequenceNode sequence)
        {
            reader.Error(node, $"{path} must be a list of waves (each {{ soak: 10m, selector: {{ label: value }} }}), not {node.KindDescription}");
            return;
        }

        for (var index = 0; index < sequence.Items.Length; index++)
        {
            var wavePath = $"{path}[{index}] (wave {index + 1})";
            var soak = TimeSpan.Zero;
            Dictionary<string, string>? selector = null;
            if (reader.MappingOrNull(sequence.Items[index], wavePath) is { } mapping)
            {
                new FieldTable<object?>()
                    .Field("soak", (_, value, fieldPath) => soak = reader.Duration(value, fieldPath) ?? TimeSpan.Zero)
                    .Field("selector", (_, value, fieldPath) =>
                    {
                        selector = new Dictionary<string, string>(StringComparer.Ordinal);
                        ReadStringMap(reader, value, fieldPath, selector);
                    })
                    .Apply(reader, mapping, null, wavePath);
            }

            target.Draft.Waves.Add(new WaveDefinition(soak, selector?.ToImmutableSortedDictionary(StringComparer.Ordinal)));
        }
    }

    private static void ReadStacks((NodeReader Reader, InventoryDraft Draft) target, Node node, string path)
    {
        var reader = target.Reader;
        foreach (var entry in reader.MappingOrNull(node, path)?.Entries ?? [])
        {
            var stackPath = $"stacks.{entry.Key.Value}";
            if (!ServiceNames.IsValidStackName(entry.Key.Value))
            {
                reader.Error(entry.Key, $"invalid stack name '{entry.Key.Value}' (Compose project names: lowercase letters, digits, '-', '_'; starting with a letter or digit)");
                continue;
            }

            var stack = new StackDraft(entry.Key.Value, entry.Key.Start);
            target.Draft.Stacks[entry.Key.Value] = stack;
            if (reader.Mapping(entry.Value, stackPath) is not { } mapping)
            {
                continue;
            }

            StackFields.Apply(reader, mapping, (reader, target.Draft, stack), stackPath);
            if (mapping.Get("compose") is null)
            {
                reader.Error(entry.Key, $"stack '{entry.Key.Value}' needs 'compose': the path of its Compose file (or a list of them)");
            }

            if (!stack.HasHosts)
            {
                reader.Error(entry.Key, $"stack '{entry.Key.Value}' needs 'hosts': a list of host names, or {{ selector: {{ label: value }} }}");
            }
        }
    }

    private static readonly FieldTable<(NodeReader Reader, StackDraft Stack)> HostsFields = new FieldTable<(NodeReader Reader, StackDraft Stack)>()
        .Field("names", (target, node, path) => target.Stack.HostNames.AddRange(target.Reader.StringList(node, path) ?? []))
        .Field("selector", (target, node, path) =>
        {
            // An empty selector matches every host: an explicit "all hosts".
            target.Stack.Selector = new Dictionary<string, string>(StringComparer.Ordinal);
            ReadStringMap(target.Reader, node, path, target.Stack.Selector);
        });

    private static void ReadStringMap(NodeReader reader, Node node, string path, Dictionary<string, string> into)
    {
        if (reader.MappingOrNull(node, path) is not { } mapping)
        {
            return;
        }

        foreach (var entry in mapping.Entries)
        {
            if (reader.Scalar(entry.Value, $"{path}.{entry.Key.Value}") is { } value)
            {
                into[entry.Key.Value] = value.Value;
            }
        }
    }

    private static void ReadVars(NodeReader reader, Node node, string path, Dictionary<string, string> into)
    {
        if (reader.MappingOrNull(node, path) is not { } mapping)
        {
            return;
        }

        foreach (var entry in mapping.Entries)
        {
            if (!VariableNamePattern().IsMatch(entry.Key.Value))
            {
                reader.Error(entry.Key, $"invalid variable name '{entry.Key.Value}' (letters, digits and '_', not starting with a digit)");
                continue;
            }

            // A var may be empty (`KEY: ""` or `KEY:`): set but empty, which ${KEY:-default} treats as unset.
            if (entry.Value is ScalarNode scalar)
            {
                into[entry.Key.Value] = scalar.IsNull ? "" : scalar.Value;
            }
            else
            {
                reader.Error(entry.Value, $"{path}.{entry.Key.Value} must be a string, not {entry.Value.KindDescription}");
            }
        }
    }

    /// <summary>After the whole file is read, since `hosts:` may come after `stacks:`.</summary>
    private static void ResolveHostReferences(InventoryDraft draft, NodeReader reader)
    {
        foreach (var (stackName, stack) in draft.Stacks)
        {
            foreach (var host in stack.HostNames.Where(host => !draft.Hosts.ContainsKey(host.Value)))
            {
                reader.Error(host, $"stack '{stackName}' names unknown host '{host.Value}'; define it under hosts:{reader.Hint(host.Value, draft.Hosts.Keys)}");
            }
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
    private static partial Regex HostNamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableNamePattern();

    private static readonly FieldTable<(NodeReader Reader, InventoryDraft Draft, StackDraft Stack)> StackFields =
        new FieldTable<(NodeReader Reader, InventoryDraft Draft, StackDraft Stack)>()
            .Field("compose", (target, node, path) =>
            {
                var paths = target.Reader.StringOrList(node, path) ?? [];
                if (node is SequenceNode { Items.Length: 0 })
                {
                    target.Reader.Error(node, $"{path} needs at least one Compose file");
                }

                foreach (var composePath in paths)
                {
                    var file = RepositoryPath.Combine("", composePath.Value);
                    if (file is null)
                    {
                        target.Reader.Error(composePath, $"{path}: {composePath.Describe()} must be a relative path inside the repository");
                    }
                    else if (!target.Draft.Files.Exists(file))
                    {
                        target.Reader.Error(composePath, $"{path}: Compose file '{file}' does not exist");
                    }
                    else
                    {
                        target.Stack.ComposeFiles.Add(new Located<string>(file, composePath.Start));
                    }
                }
            })
            .Field("hosts", (target, node, path) =>
            {
                target.Stack.HasHosts = true;
                if (node is SequenceNode)
                {
                    target.Stack.HostNames.AddRange(target.Reader.StringList(node, path) ?? []);
                }
                else if (target.Reader.Mapping(node, path + " (a list of host names or a mapping with names and selector)") is { } mapping)
                {
                    HostsFields.Apply(target.Reader, mapping, (target.Reader, target.Stack), path);
                }
            })
            .Field("vars", (target, node, path) => ReadVars(target.Reader, node, path, target.Stack.Vars))
            .Field("profiles", (target, node, path) =>
            {
                // `profiles: []` is meaningful: no profile active, whatever COMPOSE_PROFILES says.
                target.Stack.Profiles = [];
                foreach (var profile in target.Reader.StringOrList(node, path) ?? [])
                {
                    if (profile.Value == Profiles.All || Profiles.IsValidName(profile.Value))
                    {
                        target.Stack.Profiles.Add(new Located<string>(profile.Value, profile.Start));
                    }
                    else
                    {
                        target.Reader.Error(profile, $"{path}: invalid profile name {profile.Describe()} (letters, digits, '_', '.', '-', starting with a letter or digit; or '*' for all)");
                    }
                }
            });

    private static readonly FieldTable<(NodeReader Reader, InventoryDraft Draft)> RootFields =
        new FieldTable<(NodeReader Reader, InventoryDraft Draft)>()
            .Field("hosts", ReadHosts)
            .Field("stacks", ReadStacks)
            .Field("waves", ReadWaves)
            .Field("settings", (target, node, path) =>
            {
                if (target.Reader.MappingOrNull(node, path) is { } settings)
                {
                    SettingsFields.Apply(target.Reader, settings, target, path);
                }
            })
            .Field("policy", (target, node, path) =>
            {
                if (target.Reader.MappingOrNull(node, path) is { } policy)
                {
                    PolicyFields.Apply(target.Reader, policy, target, path);
                }
            });
}
