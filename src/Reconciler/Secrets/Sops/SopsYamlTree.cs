using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Berth.Reconciler.Secrets.Sops;

/// <summary>
/// A SOPS YAML file (stores/yaml): the document as written, values replaced by `ENC[...]`, plus the
/// `sops` mapping at the top. One document per file (SOPS's multi-document files are refused).
/// </summary>
internal sealed partial class SopsYamlTree : SopsTree
{
    private readonly YamlStream stream;
    private readonly YamlMappingNode root;
    private readonly Dictionary<SopsLeaf, YamlScalarNode> nodeByLeaf;

    private SopsYamlTree(SopsMetadata metadata, IReadOnlyList<SopsLeaf> leaves, int metadataLine, YamlStream stream, YamlMappingNode root, Dictionary<SopsLeaf, YamlScalarNode> nodeByLeaf)
        : base(metadata, leaves, metadataLine)
    {
        this.stream = stream;
        this.root = root;
        this.nodeByLeaf = nodeByLeaf;
    }

    /// <summary>Whether <paramref name="text"/> may be a SOPS YAML file: it has a top-level `sops:` line (the parse decides).</summary>
    public static bool MayCarry(string text) =>
        text.StartsWith("sops:", StringComparison.Ordinal) || text.Contains("\nsops:", StringComparison.Ordinal);

    /// <summary>The tree, or null when the YAML has no top-level `sops` mapping after all.</summary>
    public static SopsYamlTree? Parse(string file, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException exception)
        {
            throw new SopsDecryptionException(file, (int)exception.Start.Line, (int)exception.Start.Column, $"not valid YAML: {exception.Message}");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("sops"), out var metadataNode) || metadataNode is not YamlMappingNode)
        {
            return stream.Documents.Count > 1 && MayCarry(text)
                ? throw new SopsDecryptionException(file, 1, 1, "SOPS files of more than one YAML document are not supported by berth (keep one document per file)")
                : null;
        }

        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(metadataNode, "", flat);
        var leaves = new List<SopsLeaf>();
        var nodeByLeaf = new Dictionary<SopsLeaf, YamlScalarNode>();
        foreach (var (key, value) in root.Children)
        {
            if (key is YamlScalarNode { Value: { } name } && name != "sops")
            {
                Walk(value, [name], leaves, nodeByLeaf);
            }
        }

        var metadataKey = root.Children.Keys.First(key => key is YamlScalarNode { Value: "sops" });
        return new SopsYamlTree(SopsMetadata.FromFlat(flat), leaves, (int)metadataKey.Start.Line, stream, root, nodeByLeaf);
    }

    public override byte[] Plaintext()
    {
        foreach (var (leaf, node) in nodeByLeaf)
        {
            if (leaf is { WasEncrypted: true, Plaintext: { } plaintext })
            {
                node.Value = Encoding.UTF8.GetString(plaintext);
                // A decrypted string is quoted so that "123" or "true" stays a string.
                node.Style = leaf.PlainType is "str" or "bytes" ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain;
                node.Tag = default;
            }
        }

        root.Children.Remove(new YamlScalarNode("sops"));
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        // YamlStream ends a document with "...": a plain file does not need it.
        var text = writer.ToString();
        text = text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Go's FormatFloat(value, 'f', -1, 64): the shortest digits, never an exponent.</summary>
    public static string FloatText(double value) =>
        value.ToString("R", CultureInfo.InvariantCulture) is var shortest && shortest.Contains('E', StringComparison.Ordinal)
            ? ((decimal)value).ToString(CultureInfo.InvariantCulture)
            : shortest;

    private static void Walk(YamlNode node, List<string> path, List<SopsLeaf> leaves, Dictionary<SopsLeaf, YamlScalarNode> nodeByLeaf)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    Walk(value, [.. path, (key as YamlScalarNode)?.Value ?? ""], leaves, nodeByLeaf);
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    Walk(item, path, leaves, nodeByLeaf);
                }

                break;
            case YamlScalarNode scalar when Resolve(scalar) is { } resolved:
                var leaf = new SopsLeaf([.. path], resolved.Text, resolved.Kind, (int)scalar.Start.Line, (int)scalar.Start.Column);
                leaves.Add(leaf);
                nodeByLeaf[leaf] = scalar;
                break;
        }
    }

    /// <summary>
    /// What a plain scalar is under YAML 1.2's core schema, as SOPS's YAML library resolves it (null: a
    /// null, which SOPS skips); quoted scalars are strings.
    /// </summary>
    private static (string Text, SopsScalarKind Kind)? Resolve(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return (value, SopsScalarKind.String);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return (char.ToUpperInvariant(value[0]) + value[1..].ToLowerInvariant(), SopsScalarKind.Boolean);
        }

        if (Integer().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return (integer.ToString(CultureInfo.InvariantCulture), SopsScalarKind.Integer);
        }

        if (Float().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return (FloatText(number), SopsScalarKind.Float);
        }

        return (value, SopsScalarKind.String);
    }

    private static void Flatten(YamlNode node, string prefix, Dictionary<string, string> flat)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? "";
                    Flatten(value, prefix.Length == 0 ? name : prefix + "__map_" + name, flat);
                }

                break;
            case YamlSequenceNode sequence:
                for (var index = 0; index < sequence.Children.Count; index++)
                {
                    Flatten(sequence.Children[index], $"{prefix}__list_{index.ToString(CultureInfo.InvariantCulture)}", flat);
                }

                break;
            case YamlScalarNode scalar:
                flat[prefix] = scalar.Value ?? "";
                break;
        }
    }

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Float();
}
