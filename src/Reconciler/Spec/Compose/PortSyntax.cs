using System.Globalization;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>Compose `ports:` and `expose:`, short and long syntax, ranges expanded to one PortSpec each.</summary>
internal static class PortSyntax
{
    private const int MaxRangeLength = 1000;

    /// <summary>Ranges expand to one PortSpec each: bound what a few lines of YAML can expand to.</summary>
    private const int MaxPortsPerService = 5000;

    /// <summary>Short syntax: "80", "8080:80", "127.0.0.1:8080:80/udp", "[::1]:8080:80", "8000-8001:80-81", "127.0.0.1::80".</summary>
    public static List<PortSpec>? ParseShort(string text, out string? error)
    {
        error = null;
        var protocol = PortProtocol.Tcp;
        var slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            if (ParseProtocol(text[(slash + 1)..]) is not { } parsedProtocol)
            {
                error = "protocol must be tcp, udp or sctp";
                return null;
            }

            protocol = parsedProtocol;
            text = text[..slash];
        }

        var hostIp = "";
        if (text.StartsWith('['))
        {
            var closing = text.IndexOf("]:", StringComparison.Ordinal);
            if (closing < 0)
            {
                error = "an IPv6 host address must be written [address]:published:target";
                return null;
            }

            hostIp = text[1..closing];
            text = text[(closing + 2)..];
            if (!text.Contains(':', StringComparison.Ordinal))
            {
                text = ":" + text;
            }
        }

        var parts = text.Split(':');
        string publishedText;
        string targetText;
        switch (parts.Length)
        {
            case 1:
                (publishedText, targetText) = ("", parts[0]);
                break;
            case 2:
                (publishedText, targetText) = (parts[0], parts[1]);
                break;
            case 3 when hostIp.Length == 0:
                // An empty host address (":443:443", typically "${BIND:-}:443:443" with BIND unset) is
                // what Docker and Compose take as "all addresses": the same as "443:443", HostIP "".
                (hostIp, publishedText, targetText) = (parts[0], parts[1], parts[2]);
                break;
            default:
                error = "expected [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]";
                return null;
        }

        if (ParseRange(targetText) is not { } targets)
        {
            error = "target port must be a port (1-65535) or a range like 8000-8005";
            return null;
        }

        if (publishedText.Length == 0)
        {
            return [.. Enumerable.Range(targets.First, targets.Count).Select(target => new PortSpec(target, null, hostIp, protocol))];
        }

        if (ParseRange(publishedText) is not { } published)
        {
            error = "published port must be a port (1-65535) or a range like 8000-8005";
            return null;
        }

        if (published.Count != targets.Count)
        {
            error = "published and target port ranges must have the same length";
            return null;
        }

        return [.. Enumerable.Range(0, targets.Count).Select(offset => new PortSpec(targets.First + offset, published.First + offset, hostIp, protocol))];
    }

    public static PortProtocol? ParseProtocol(string text) => text switch
    {
        "tcp" => PortProtocol.Tcp,
        "udp" => PortProtocol.Udp,
        "sctp" => PortProtocol.Sctp,
        _ => null,
    };

    /// <summary>"8080" or "8000-8005".</summary>
    public static (int First, int Count)? ParseRange(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return ParsePort(text) is { } port ? (port, 1) : null;
        }

        if (ParsePort(text[..dash]) is not { } first || ParsePort(text[(dash + 1)..]) is not { } last || last < first || last - first >= MaxRangeLength)
        {
            return null;
        }

        return (first, last - first + 1);
    }

    public static int? ParsePort(string text) =>
        text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit) && int.Parse(text, CultureInfo.InvariantCulture) is var port and >= 1 and <= 65535
            ? port
            : null;

    /// <summary>Reads one `ports:` item (either syntax) into <paramref name="ports"/>.</summary>
    public static void ReadPort(NodeReader reader, Node item, string path, List<Located<PortSpec>> ports)
    {
        if (item is ScalarNode { IsNull: false } scalar)
        {
            if (ParseShort(scalar.Value, out var error) is { } parsed)
            {
                if (ports.Count + parsed.Count > MaxPortsPerService)
                {
                    reader.Error(item, $"{path}: more than {MaxPortsPerService} ports");
                    return;
                }

                ports.AddRange(parsed.Select(port => new Located<PortSpec>(port, item.Start)));
            }
            else
            {
                reader.Error(item, $"{path}: invalid port {scalar.Describe()}: {error}");
            }

            return;
        }

        if (reader.Mapping(item, path + " item") is not { } mapping)
        {
            return;
        }

        var draft = new LongPortDraft();
        LongPortFields.Apply(reader, mapping, (reader, draft), path);
        if (mapping.Get("target") is null)
        {
            reader.Error(item, $"{path}: a port needs 'target'");
            return;
        }

        if (draft.Target is not { } target)
        {
            return;
        }

        if (draft.Published is { } published && published.Count != 1)
        {
            reader.Error(item, $"{path}: a published port range needs as many target ports; use the short syntax \"8000-8001:80-81\"");
            return;
        }

        ports.Add(new Located<PortSpec>(new PortSpec(target, draft.Published?.First, draft.HostIp ?? "", draft.Protocol ?? PortProtocol.Tcp), item.Start));
    }

    /// <summary>Reads one `expose:` item: "3000", "3000-3005", "3000/udp", normalised to "3000/tcp" each.</summary>
    public static void ReadExpose(NodeReader reader, ScalarNode item, string path, List<string> expose)
    {
        var text = item.Value;
        var protocol = "tcp";
        var slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..];
            text = text[..slash];
        }

        if (ParseProtocol(protocol) is null || ParseRange(text) is not { } range)
        {
            reader.Error(item, $"{path}: invalid port {item.Describe()} (expected PORT, PORT-PORT, optionally /tcp, /udp or /sctp)");
            return;
        }

        if (expose.Count + range.Count > MaxPortsPerService)
        {
            reader.Error(item, $"{path}: more than {MaxPortsPerService} ports");
            return;
        }

        expose.AddRange(Enumerable.Range(range.First, range.Count).Select(port => $"{port}/{protocol}"));
    }

    private sealed class LongPortDraft
    {
        public int? Target { get; set; }

        public (int First, int Count)? Published { get; set; }

        public string? HostIp { get; set; }

        public PortProtocol? Protocol { get; set; }
    }

    private static readonly FieldTable<(NodeReader Reader, LongPortDraft Draft)> LongPortFields = new FieldTable<(NodeReader Reader, LongPortDraft Draft)>()
        .Field("target", (target, node, path) => target.Draft.Target = (int?)target.Reader.Integer(node, path, 1, 65535))
        .Field("published", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is not { } scalar)
            {
                return;
            }

            target.Draft.Published = ParseRange(scalar.Value);
            if (target.Draft.Published is null)
            {
                target.Reader.Error(node, $"{path} must be a port (1-65535) or a range, not {scalar.Describe()}");
            }
        })
        .Field("host_ip", (target, node, path) => target.Draft.HostIp = target.Reader.String(node, path))
        .Field("protocol", (target, node, path) => target.Draft.Protocol = target.Reader.OneOf(node, path, "tcp", "udp", "sctp") is { } text ? ParseProtocol(text) : null)
        // Swarm's routing mode, the port's name and its application protocol change nothing on a single engine.
        .Field("mode", (target, node, path) => target.Reader.OneOf(node, path, "host", "ingress"))
        .Field("name", (target, node, path) => target.Reader.String(node, path))
        .Field("app_protocol", (target, node, path) => target.Reader.String(node, path));
}
