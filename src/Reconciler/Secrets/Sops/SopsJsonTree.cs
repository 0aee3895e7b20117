using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Reconciler.Secrets.Sops;

/// <summary>
/// A SOPS JSON file (stores/json), or a binary one: SOPS stores a binary file as JSON with one value,
/// `data`, holding the whole file. JSON positions are not tracked: errors point at the file's start.
/// </summary>
internal sealed class SopsJsonTree : SopsTree
{
    private readonly JsonObject root;
    private readonly bool binary;
    private readonly Dictionary<SopsLeaf, Action<JsonNode?>> replaceByLeaf;

    private SopsJsonTree(SopsMetadata metadata, IReadOnlyList<SopsLeaf> leaves, JsonObject root, bool binary, Dictionary<SopsLeaf, Action<JsonNode?>> replaceByLeaf)
        : base(metadata, leaves, 1)
    {
        this.root = root;
        this.binary = binary;
        this.replaceByLeaf = replaceByLeaf;
    }

    /// <summary>The root object when <paramref name="text"/> is JSON with a `sops` object, else null.</summary>
    public static JsonObject? Carries(string text)
    {
        if (text.TrimStart() is not ['{', ..])
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) is JsonObject { } root && root["sops"] is JsonObject sops && sops["mac"] is not null ? root : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A binary file as SOPS stores it: nothing but `data` beside `sops`.</summary>
    public static bool IsBinaryStore(JsonObject root) => root.Count == 2 && root["data"] is JsonValue;

    public static SopsJsonTree Parse(JsonObject root, bool binary)
    {
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(root["sops"], "", flat);
        var leaves = new List<SopsLeaf>();
        var replaceByLeaf = new Dictionary<SopsLeaf, Action<JsonNode?>>();
        foreach (var (key, value) in root.ToList())
        {
            if (key != "sops")
            {
                Walk(value, [key], replacement => root[key] = replacement, leaves, replaceByLeaf);
            }
        }

        return new SopsJsonTree(SopsMetadata.FromFlat(flat), leaves, root, binary, replaceByLeaf);
    }

    public override byte[] Plaintext()
    {
        if (binary)
        {
            return Leaves.Single().Plaintext ?? [];
        }

        foreach (var (leaf, replace) in replaceByLeaf)
        {
            if (leaf is { WasEncrypted: true, Plaintext: { } plaintext })
            {
                var text = Encoding.UTF8.GetString(plaintext);
                replace(leaf.PlainType switch
                {
                    "int" or "int64" or "float" => JsonNode.Parse(text),
                    "bool" => JsonValue.Create(bool.Parse(text)),
                    _ => JsonValue.Create(text),
                });
            }
        }

        root.Remove("sops");
        return Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static void Walk(JsonNode? node, List<string> path, Action<JsonNode?> replace, List<SopsLeaf> leaves, Dictionary<SopsLeaf, Action<JsonNode?>> replaceByLeaf)
    {
        switch (node)
        {
            case JsonObject mapping:
                foreach (var (key, value) in mapping.ToList())
                {
                    Walk(value, [.. path, key], replacement => mapping[key] = replacement, leaves, replaceByLeaf);
                }

                break;
            case JsonArray list:
                for (var index = 0; index < list.Count; index++)
                {
                    var position = index;
                    Walk(list[index], path, replacement => list[position] = replacement, leaves, replaceByLeaf);
                }

                break;
            case JsonValue value:
                var (text, kind) = value.GetValueKind() switch
                {
                    JsonValueKind.String => (value.GetValue<string>(), SopsScalarKind.String),
                    JsonValueKind.True => ("True", SopsScalarKind.Boolean),
                    JsonValueKind.False => ("False", SopsScalarKind.Boolean),
                    _ => NumberText(value.ToJsonString()),
                };
                var leaf = new SopsLeaf([.. path], text, kind, 1, 1);
                leaves.Add(leaf);
                replaceByLeaf[leaf] = replace;
                break;
            default:
                // null: SOPS neither encrypts nor hashes it.
                break;
        }
    }

    /// <summary>SOPS's bytes for a number left in the clear: an integer as written, a float without exponent.</summary>
    private static (string, SopsScalarKind) NumberText(string raw) =>
        long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
            ? (integer.ToString(CultureInfo.InvariantCulture), SopsScalarKind.Integer)
            : (SopsYamlTree.FloatText(double.Parse(raw, CultureInfo.InvariantCulture)), SopsScalarKind.Float);

    private static void Flatten(JsonNode? node, string prefix, Dictionary<string, string> flat)
    {
        switch (node)
        {
            case JsonObject mapping:
                foreach (var (key, value) in mapping)
                {
                    Flatten(value, prefix.Length == 0 ? key : prefix + "__map_" + key, flat);
                }

                break;
            case JsonArray list:
                for (var index = 0; index < list.Count; index++)
                {
                    Flatten(list[index], $"{prefix}__list_{index.ToString(CultureInfo.InvariantCulture)}", flat);
                }

                break;
            case JsonValue value:
                flat[prefix] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                break;
        }
    }
}
