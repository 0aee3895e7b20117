using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Policy;

/// <summary>
/// Reads a `policy:` mapping (the daemon's config, or a file given with `--policy`), reporting every
/// problem with file:line:column. Keys not written keep their restrictive default (<see cref="HostPolicy"/>).
/// </summary>
internal static partial class HostPolicyReader
{
    public static HostPolicy Read(NodeReader reader, Node node, string path)
    {
        if (node is ScalarNode { IsNull: true })
        {
            // `policy:` with nothing under it: every default, the tightest policy.
            return HostPolicy.Restrictive;
        }

        var draft = new Draft();
        if (reader.Mapping(node, path) is { } mapping)
        {
            Fields.Apply(reader, mapping, (reader, draft), path);
        }

        return draft.Policy;
    }

    private sealed class Draft
    {
        public HostPolicy Policy { get; set; } = HostPolicy.Restrictive;
    }

    private static readonly FieldTable<(NodeReader Reader, Draft Draft)> Fields = new FieldTable<(NodeReader Reader, Draft Draft)>()
        .Field("privileged", (target, node, path) => target.Draft.Policy = target.Draft.Policy with { Privileged = target.Reader.Bool(node, path) ?? false })
        .Field("hostNamespaces", (target, node, path) =>
        {
            var names = new List<string>();
            foreach (var item in target.Reader.StringList(node, path) ?? [])
            {
                if (target.Reader.OneOf(item, path, [.. HostPolicy.NamespaceNames]) is { } name)
                {
                    names.Add(name);
                }
            }

            target.Draft.Policy = target.Draft.Policy with { HostNamespaces = [.. names] };
        })
        .Field("capabilities", (target, node, path) =>
        {
            var names = new List<string>();
            foreach (var item in target.Reader.StringList(node, path) ?? [])
            {
                var name = Capabilities.Normalise(item.Value);
                if (CapabilityPattern().IsMatch(name))
                {
                    names.Add(name);
                }
                else
                {
                    target.Reader.Error(item, $"{path}: {item.Describe()} is not a capability name (e.g. NET_BIND_SERVICE, or ALL)");
                }
            }

            target.Draft.Policy = target.Draft.Policy with { Capabilities = [.. names] };
        })
        .Field("devices", (target, node, path) => target.Draft.Policy = target.Draft.Policy with { Devices = [.. AbsolutePaths(target.Reader, node, path)] })
        .Field("unconfined", (target, node, path) => target.Draft.Policy = target.Draft.Policy with { Unconfined = target.Reader.Bool(node, path) ?? false })
        .Field("bindMounts", (target, node, path) => target.Draft.Policy = target.Draft.Policy with { BindMounts = [.. AbsolutePaths(target.Reader, node, path)] })
        .Field("nestedBindMounts", (target, node, path) => target.Draft.Policy = target.Draft.Policy with { NestedBindMounts = target.Reader.Bool(node, path) ?? false })
        .Field("volumeTypes", (target, node, path) =>
        {
            var types = new List<string>();
            foreach (var item in target.Reader.StringList(node, path) ?? [])
            {
                if (item.Value.Length == 0 || item.Value.Any(character => char.IsWhiteSpace(character) || character == ','))
                {
                    target.Reader.Error(item, $"{path}: {item.Describe()} is not a mount type (e.g. ext4, btrfs)");
                    continue;
                }

                types.Add(item.Value.ToLowerInvariant());
            }

            target.Draft.Policy = target.Draft.Policy with { VolumeTypes = [.. types] };
        })
        .Field("sysctls", (target, node, path) =>
        {
            target.Draft.Policy = target.Draft.Policy with
            {
                Sysctls = target.Reader.OneOf(node, path, "namespaced", "any") == "any" ? SysctlScope.Any : SysctlScope.Namespaced,
            };
        })
        .Field("pinnedImages", (target, node, path) =>
        {
            target.Draft.Policy = target.Draft.Policy with
            {
                PinnedImages = target.Reader.OneOf(node, path, "none", "tag", "digest") switch
                {
                    "tag" => ImagePinning.Tag,
                    "digest" => ImagePinning.Digest,
                    _ => ImagePinning.None,
                },
            };
        })
        .Field("images", (target, node, path) =>
        {
            var entries = new List<string>();
            foreach (var item in target.Reader.StringList(node, path) ?? [])
            {
                if (item.Value.Length == 0 || item.Value.Any(char.IsWhiteSpace) || item.Value.StartsWith('/'))
                {
                    target.Reader.Error(item, $"{path}: {item.Describe()} is not a registry (registry.example.com), a repository prefix (registry.example.com/team/) or a repository (nginx)");
                    continue;
                }

                entries.Add(item.Value);
            }

            target.Draft.Policy = target.Draft.Policy with { Images = [.. entries] };
        });

    /// <summary>Absolute paths, lexically normalised (`..`, `.`, repeated and trailing slashes); links are resolved when checking.</summary>
    private static IEnumerable<string> AbsolutePaths(NodeReader reader, Node node, string path)
    {
        foreach (var item in reader.StringList(node, path) ?? [])
        {
            if (!item.Value.StartsWith('/'))
            {
                reader.Error(item, $"{path}: {item.Describe()} must be an absolute path");
                continue;
            }

            yield return Normalise(item.Value);
        }
    }

    internal static string Normalise(string absolutePath)
    {
        var full = Path.GetFullPath(absolutePath);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$")]
    private static partial Regex CapabilityPattern();
}

/// <summary>A policy read from a file of its own (`--policy FILE`), or every error that prevents it.</summary>
public sealed record HostPolicyLoadResult(HostPolicy? Policy, ImmutableArray<SpecError> Errors);

/// <summary>
/// `--policy FILE`: a YAML file whose `policy:` section has the shape of the daemon's. Other top-level
/// keys are ignored, so the daemon's own config file (/etc/berth/berth.yaml) can be given as it is.
/// </summary>
public static class HostPolicyFile
{
    public static HostPolicyLoadResult Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new HostPolicyLoadResult(null, [new SpecError(fullPath, 1, 1, $"cannot read the policy file: {exception.Message}")]);
        }

        var errors = new ErrorCollector();
        var reader = new NodeReader(errors);
        var root = YamlDocumentLoader.Load(fullPath, text, errors, out _);
        HostPolicy? policy = null;
        if (root is MappingNode mapping && mapping.Get("policy") is { } section)
        {
            policy = HostPolicyReader.Read(reader, section, "policy");
        }
        else if (errors.Count == 0)
        {
            reader.Error(root?.Start ?? Location.StartOf(fullPath), "no 'policy:' section at the top level (see docs/policy.md)");
        }

        var sorted = errors.ToSortedArray();
        return new HostPolicyLoadResult(sorted.IsEmpty ? policy : null, sorted);
    }
}

/// <summary>Capability names as the engine takes them: any case, with or without `CAP_`.</summary>
internal static class Capabilities
{
    public const string All = "ALL";

    public static string Normalise(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper["CAP_".Length..] : upper;
    }
}
