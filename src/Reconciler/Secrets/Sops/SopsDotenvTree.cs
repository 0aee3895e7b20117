using System.Text;

namespace Berth.Reconciler.Secrets.Sops;

/// <summary>
/// A SOPS dotenv file (stores/dotenv): one `KEY=value` per line, values with "\n" for a line break, the
/// metadata as `sops_...` lines, comments (`#...`) encrypted too and outside the MAC.
/// </summary>
internal sealed class SopsDotenvTree : SopsTree
{
    private const string MetadataPrefix = "sops_";

    private readonly string[] lines;
    private readonly Dictionary<int, SopsLeaf> leafByLine;

    private SopsDotenvTree(SopsMetadata metadata, IReadOnlyList<SopsLeaf> leaves, int metadataLine, string[] lines, Dictionary<int, SopsLeaf> leafByLine)
        : base(metadata, leaves, metadataLine)
    {
        this.lines = lines;
        this.leafByLine = leafByLine;
    }

    /// <summary>Whether <paramref name="text"/> carries SOPS dotenv metadata (a `sops_mac=` line).</summary>
    public static bool Carries(string text) =>
        text.StartsWith(MetadataPrefix + "mac=", StringComparison.Ordinal) || text.Contains("\n" + MetadataPrefix + "mac=", StringComparison.Ordinal);

    public static SopsDotenvTree Parse(string file, string text)
    {
        var lines = text.Split('\n');
        var leaves = new List<SopsLeaf>();
        var leafByLine = new Dictionary<int, SopsLeaf>();
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        var metadataLine = 0;
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index];
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw new SopsDecryptionException(file, index + 1, 1, "not a SOPS dotenv line (KEY=value expected)");
            }

            var key = line[..equals];
            var value = line[(equals + 1)..].Replace("\\n", "\n", StringComparison.Ordinal);
            if (key.StartsWith(MetadataPrefix, StringComparison.Ordinal))
            {
                metadataLine = metadataLine == 0 ? index + 1 : metadataLine;
                flat[key[MetadataPrefix.Length..]] = value;
                continue;
            }

            var leaf = new SopsLeaf([key], value, SopsScalarKind.String, index + 1, equals + 2);
            leaves.Add(leaf);
            leafByLine[index] = leaf;
        }

        return new SopsDotenvTree(SopsMetadata.FromFlat(flat), leaves, Math.Max(metadataLine, 1), lines, leafByLine);
    }

    /// <summary>
    /// `KEY=value` lines as `sops --decrypt` writes them, but line for line with the encrypted file:
    /// metadata and comment lines become empty lines, so an error in the plaintext points at the line
    /// of the encrypted file the user sees. The metadata lines sops writes at the end are dropped (no
    /// line after them to point at), so a mounted secret ends as `sops --decrypt` ends it: one newline.
    /// </summary>
    public override byte[] Plaintext()
    {
        var output = new StringBuilder();
        for (var index = 0; index < lines.Length; index++)
        {
            if (leafByLine.TryGetValue(index, out var leaf))
            {
                var value = Encoding.UTF8.GetString(leaf.Plaintext ?? []).Replace("\n", "\\n", StringComparison.Ordinal);
                output.Append(leaf.Path[0]).Append('=').Append(value);
            }

            if (index < lines.Length - 1)
            {
                output.Append('\n');
            }
        }

        var text = output.ToString().TrimEnd('\n');
        return Encoding.UTF8.GetBytes(text.Length == 0 ? text : text + "\n");
    }
}
