using System.CommandLine;
using System.Net;
using Berth.Daemon.Configuration;
using YamlDotNet.RepresentationModel;

namespace Berth.Daemon.Cli;

/// <summary>
/// Where `berth status` and `berth sync` find the daemon: --url if given, else the `listen` address of the
/// daemon's config file (so changing the port in berth.yaml needs no flag), else http://127.0.0.1:9750.
/// Only `listen` is read, without validating the rest: the CLI may run as a user who cannot read the
/// secret files the daemon's config names.
/// </summary>
internal static class DaemonUrl
{
    public static Option<string?> CreateUrlOption() => new("--url")
    {
        Description = $"The daemon's HTTP address (default: from `listen` in --config, else {DaemonClient.DefaultUrl})",
    };

    public static Option<string> CreateConfigOption() => new("--config")
    {
        Description = $"The daemon's config file, to find its `listen` address (default: {DaemonConfig.DefaultPath})",
        DefaultValueFactory = _ => DaemonConfig.DefaultPath,
    };

    public static string Resolve(string? url, string configFile)
    {
        if (!string.IsNullOrEmpty(url))
        {
            return url;
        }

        return TryReadListen(configFile) is { } endpoint ? ToUrl(endpoint) : DaemonClient.DefaultUrl;
    }

    /// <summary>A wildcard listen address is reached over loopback.</summary>
    public static string ToUrl(IPEndPoint endpoint)
    {
        var address = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endpoint.Address;
        return $"http://{new IPEndPoint(address, endpoint.Port)}";
    }

    private static IPEndPoint? TryReadListen(string configFile) =>
        TryReadRoot(configFile) is { } root
        && root.Children.TryGetValue(new YamlScalarNode("listen"), out var listen)
        && listen is YamlScalarNode { Value: { } text }
        && IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : null;

    /// <summary>The config's top-level mapping, or null when the file is missing, unreadable or not YAML.</summary>
    internal static YamlMappingNode? TryReadRoot(string configFile)
    {
        try
        {
            var stream = new YamlStream();
            using (var reader = File.OpenText(configFile))
            {
                stream.Load(reader);
            }

            return stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
        {
            return null;
        }
    }
}
