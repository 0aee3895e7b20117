using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// `labels:` of a service, network or volume: a mapping or a list of KEY=VALUE (a bare KEY is an
/// empty value, as Compose). Keys under berth's own prefix are refused: berth recognises what it
/// manages by those labels (a commit's `io.berth.role: front` made a replica look like a front),
/// so only berth may set them.
/// </summary>
internal static class LabelReader
{
    /// <summary>
    /// The prefix of berth's own labels, Engine.BerthLabels.Prefix (the spec does not depend on the
    /// engine adapter; a test keeps the two equal). Compared ignoring case: nothing legitimate needs
    /// "IO.Berth.", and a look-alike would only confuse a person reading `docker inspect`.
    /// </summary>
    public const string ReservedPrefix = "io.berth.";

    public static void Read(NodeReader reader, Node node, string path, Dictionary<string, string> into)
    {
        foreach (var (key, value) in reader.KeyValues(node, path) ?? [])
        {
            if (key.Value.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase))
            {
                reader.Error(key, $"{path}: '{key.Value}' is one of berth's own labels ({ReservedPrefix}*), which mark what berth manages; use another prefix");
                continue;
            }

            into[key.Value] = value?.Value ?? "";
        }
    }
}
