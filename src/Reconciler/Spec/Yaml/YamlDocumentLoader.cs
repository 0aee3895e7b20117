using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Berth.Reconciler.Spec.Yaml;

/// <summary>
/// Turns YAML text into a <see cref="Node"/> tree using YamlDotNet's parser (syntax, anchors, every
/// error with line and column), and adds what its representation model lacks for us: every duplicate
/// key reported (not only the first, and never silently last-wins), `&lt;&lt;` merge keys applied with the
/// merged nodes keeping their own positions, and limits so no input can make loading hang.
/// </summary>
internal static partial class YamlDocumentLoader
{
    /// <summary>Deeper than any real Compose file; bounds recursion.</summary>
    private const int MaxDepth = 100;

    /// <summary>Nodes after alias expansion: a real file has a few thousand; an alias bomb has billions.</summary>
    private const long MaxWeight = 500_000;

    private const int MaxTextLength = 4 * 1024 * 1024;

    private const string YamlTagPrefix = "tag:yaml.org,2002:";

    /// <summary>The root node, or null: then either the document is empty (<paramref name="isEmpty"/>) or errors were added.</summary>
    public static Node? Load(string file, string text, ErrorCollector errors, out bool isEmpty)
    {
        isEmpty = false;
        if (text.Length > MaxTextLength)
        {
            errors.Add(Location.StartOf(file), $"file is larger than {MaxTextLength / 1024 / 1024} MiB");
            return null;
        }

        var parser = new Parser(new StringReader(text));
        var builder = new TreeBuilder(file, parser, errors);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                isEmpty = true;
                return null;
            }

            parser.Consume<DocumentStart>();
            var root = builder.ReadNode(depth: 0);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                errors.Add(At(file, parser.Current!.Start), "only one YAML document per file is allowed (remove the '---' separator)");
                return null;
            }

            if (root is ScalarNode { IsNull: true })
            {
                isEmpty = true;
                return null;
            }

            return root;
        }
        catch (YamlException exception)
        {
            errors.Add(At(file, exception.Start), "YAML syntax: " + WithoutPositionPrefix(exception.Message));
            return null;
        }
        catch (DocumentTooComplexException exception)
        {
            errors.Add(exception.At, exception.Message);
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18.1.0's scanner throws this instead of a YamlException on some broken input
            // (found by the fuzz test: an unclosed '[' followed by a less indented line). Still a
            // syntax error of the file: report it where the parser last stood.
            errors.Add(At(file, parser.Current?.End ?? Mark.Empty), "YAML syntax: cannot parse after this point (an unclosed '[' or '{'?)");
            return null;
        }
    }

    private static Location At(string file, Mark mark) => new(file, (int)Math.Min(mark.Line, int.MaxValue), (int)Math.Min(mark.Column, int.MaxValue));

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; we print the position ourselves.
    private static string WithoutPositionPrefix(string message) => PositionPrefix().Replace(message, "");

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex PositionPrefix();

    private sealed class DocumentTooComplexException(Location at, string message) : Exception(message)
    {
        public Location At { get; } = at;
    }

    private sealed class TreeBuilder(string file, IParser parser, ErrorCollector errors)
    {
        private readonly Dictionary<string, Node> anchors = new(StringComparer.Ordinal);

        public Node ReadNode(int depth)
        {
            var current = parser.Current ?? throw new YamlException("unexpected end of the document");
            var start = At(file, current.Start);
            if (depth > MaxDepth)
            {
                throw new DocumentTooComplexException(start, $"nesting deeper than {MaxDepth} levels");
            }

            Node node;
            switch (current)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (anchors.TryGetValue(alias.Value.Value, out var anchored))
                    {
                        return anchored;
                    }

                    errors.Add(start, $"unknown anchor '*{alias.Value.Value}' (an alias must follow its '&{alias.Value.Value}')");
                    return new ScalarNode(start, "", isPlain: true, isNull: true);

                case Scalar scalar:
                    parser.MoveNext();
                    CheckTag(scalar, start);
                    var isPlain = scalar.Style == ScalarStyle.Plain;
                    var isNull = (isPlain && scalar.Value is "" or "~" or "null" or "Null" or "NULL") || (HasTag(scalar) && scalar.Tag.Value == YamlTagPrefix + "null");
                    node = new ScalarNode(start, scalar.Value, isPlain, isNull);
                    break;

                case SequenceStart sequenceStart:
                    parser.MoveNext();
                    CheckTag(sequenceStart, start);
                    var items = ImmutableArray.CreateBuilder<Node>();
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        items.Add(ReadNode(depth + 1));
                    }

                    node = new SequenceNode(start, items.ToImmutable());
                    break;

                case MappingStart mappingStart:
                    parser.MoveNext();
                    CheckTag(mappingStart, start);
                    node = ReadMapping(start, depth);
                    break;

                default:
                    throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
            }

            if (node.Weight > MaxWeight)
            {
                throw new DocumentTooComplexException(start, $"the document expands to more than {MaxWeight} nodes (aliases nested too deeply?)");
            }

            if (current is NodeEvent { Anchor.IsEmpty: false } nodeEvent)
            {
                anchors[nodeEvent.Anchor.Value] = node;
            }

            return node;
        }

        private MappingNode ReadMapping(Location start, int depth)
        {
            var explicitEntries = new List<MappingEntry>();
            var firstSeen = new Dictionary<string, Location>(StringComparer.Ordinal);
            var mergeSources = new List<MappingNode>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(depth + 1);
                var value = ReadNode(depth + 1);
                if (keyNode is not ScalarNode key)
                {
                    errors.Add(keyNode.Start, $"a key must be a string, not {keyNode.KindDescription}");
                    continue;
                }

                if (key is { IsPlain: true, Value: "<<" })
                {
                    CollectMergeSources(value, mergeSources);
                    continue;
                }

                if (firstSeen.TryGetValue(key.Value, out var first))
                {
                    errors.Add(key.Start, $"duplicate key '{key.Value}' (first defined at line {first.Line}, column {first.Column})");
                    continue;
                }

                firstSeen[key.Value] = key.Start;
                explicitEntries.Add(new MappingEntry(key, value));
            }

            // YAML merge keys: explicit keys win, then earlier merge sources win over later ones.
            foreach (var source in mergeSources)
            {
                foreach (var entry in source.Entries)
                {
                    if (firstSeen.TryAdd(entry.Key.Value, entry.Key.Start))
                    {
                        explicitEntries.Add(entry);
                    }
                }
            }

            return new MappingNode(start, [.. explicitEntries]);
        }

        private void CollectMergeSources(Node value, List<MappingNode> mergeSources)
        {
            switch (value)
            {
                case MappingNode mapping:
                    mergeSources.Add(mapping);
                    break;
                case SequenceNode sequence when sequence.Items.All(item => item is MappingNode):
                    mergeSources.AddRange(sequence.Items.Cast<MappingNode>());
                    break;
                default:
                    errors.Add(value.Start, $"a merge key '<<' needs a mapping or a list of mappings, not {value.KindDescription}");
                    break;
            }
        }

        /// <summary>A specific tag (reading the Value of an empty or non-specific one throws).</summary>
        private static bool HasTag(NodeEvent nodeEvent) => !nodeEvent.Tag.IsEmpty && !nodeEvent.Tag.IsNonSpecific;

        private void CheckTag(NodeEvent nodeEvent, Location start)
        {
            // Standard tags (!!str, !!int...) and the non-specific "!" are fine; Compose's own `!reset`
            // and `!override` and any custom tag would change meaning in ways berth does not implement.
            var tag = nodeEvent.Tag;
            if (HasTag(nodeEvent) && tag.Value != "!" && !tag.Value.StartsWith(YamlTagPrefix, StringComparison.Ordinal))
            {
                errors.Add(start, $"YAML tag '{tag.Value}' is not supported");
            }
        }
    }
}
