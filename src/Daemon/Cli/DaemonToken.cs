using System.CommandLine;
using Berth.Daemon.Configuration;
using Berth.Daemon.Http;
using YamlDotNet.RepresentationModel;

namespace Berth.Daemon.Cli;

/// <summary>
/// The daemon's API token for `berth sync` and `berth status`: --token-file if given, else the file the
/// daemon's config names (`http.tokenFile`), else the token the daemon generated in its state directory
/// (`stateDir` from the config, default /var/lib/berth). Root on the host needs no flag; other users
/// cannot read it (0600), which is the point.
/// </summary>
internal static class DaemonToken
{
    public static Option<string?> CreateTokenFileOption() => new("--token-file")
    {
        Description = $"The daemon's API token (default: http.tokenFile from --config, else <stateDir>/{ApiToken.GeneratedFileName}, readable by root)",
    };

    /// <summary>The token, or null with the reason it could not be read (for a message naming the file).</summary>
    public static string? TryRead(string? tokenFile, string configFile, out string problem)
    {
        var path = tokenFile is { Length: > 0 } ? Path.GetFullPath(tokenFile) : FileFromConfig(configFile);
        try
        {
            var token = ApiToken.ReadFile(path);
            problem = token.Length == 0 ? $"{path} is empty" : "";
            return token.Length == 0 ? null : token;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            problem = exception is UnauthorizedAccessException
                ? $"cannot read {path}: permission denied (run as root, or give --token-file)"
                : $"cannot read {path}: {exception.Message}";
            return null;
        }
    }

    /// <summary>Only the two keys are read, without validating the rest (as for `listen`).</summary>
    internal static string FileFromConfig(string configFile)
    {
        var root = DaemonUrl.TryReadRoot(configFile);
        var configDirectory = Path.GetDirectoryName(Path.GetFullPath(configFile)) ?? "/";
        var configured = root is not null
            && root.Children.TryGetValue(new YamlScalarNode("http"), out var http)
            && http is YamlMappingNode httpSection
            && httpSection.Children.TryGetValue(new YamlScalarNode("tokenFile"), out var tokenFile)
            && tokenFile is YamlScalarNode { Value: { Length: > 0 } configuredPath }
                ? Path.GetFullPath(configuredPath, configDirectory)
                : null;
        var stateDir = root is not null
            && root.Children.TryGetValue(new YamlScalarNode("stateDir"), out var state)
            && state is YamlScalarNode { Value: { Length: > 0 } stateText } && Path.IsPathFullyQualified(stateText)
                ? stateText
                : DaemonConfig.DefaultStateDir;
        return ApiToken.FileFor(configured, stateDir);
    }
}
