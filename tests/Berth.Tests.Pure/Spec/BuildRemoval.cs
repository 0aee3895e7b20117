using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Berth.Tests.Spec;

/// <summary>
/// A Compose file as it would read if its images were prebuilt: every service's block-style <c>build:</c>
/// key is cut out of the text (everything else stays byte for byte, so line numbers of other errors keep
/// their meaning), and a service that had no <c>image:</c> gets a placeholder one in its place. berth
/// refuses <c>build</c> by design; this measures what the rest of a file would need.
/// </summary>
internal static class BuildRemoval
{
    private const string PlaceholderImage = "image: built-by-corpus-test";

    public static string WithoutBuild(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException)
        {
            return yaml; // not YAML: berth refuses it either way
        }

        if (stream.Documents.Count == 0
            || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("services"), out var servicesNode)
            || servicesNode is not YamlMappingNode services)
        {
            return yaml;
        }

        var lines = yaml.Split('\n').ToList();
        var cuts = new List<(int FirstLine, int Count, bool AddImage, int Indent)>();
        foreach (var serviceNode in services.Children.Values)
        {
            if (serviceNode is not YamlMappingNode service)
            {
                continue;
            }

            var keys = service.Children.Keys.OfType<YamlScalarNode>().ToList();
            var buildKey = keys.FirstOrDefault(key => key.Value == "build");
            if (buildKey is null)
            {
                continue;
            }

            var firstLine = (int)buildKey.Start.Line - 1;
            var indent = (int)buildKey.Start.Column - 1;
            if (lines[firstLine][..indent].Trim().Length != 0)
            {
                continue; // flow style or a key after other text on its line: leave it
            }

            // The build value is every following line that is blank or indented deeper than the key.
            var lastLine = firstLine;
            while (lastLine + 1 < lines.Count && (lines[lastLine + 1].Trim().Length == 0 || Indentation(lines[lastLine + 1]) > indent))
            {
                lastLine++;
            }

            cuts.Add((firstLine, lastLine - firstLine + 1, !keys.Any(key => key.Value == "image"), indent));
        }

        foreach (var cut in cuts.OrderByDescending(cut => cut.FirstLine))
        {
            lines.RemoveRange(cut.FirstLine, cut.Count);
            if (cut.AddImage)
            {
                lines.Insert(cut.FirstLine, new string(' ', cut.Indent) + PlaceholderImage);
            }
        }

        return string.Join('\n', lines);
    }

    private static int Indentation(string line) => line.Length - line.TrimStart(' ').Length;
}
