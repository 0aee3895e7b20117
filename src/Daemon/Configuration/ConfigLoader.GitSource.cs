using System.Text.RegularExpressions;
using Berth.Reconciler.Git;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Daemon.Configuration;

// berth.yaml `source:` as the git source's options, and the git source's own validation reported as
// config errors: a config the GitSource constructor would refuse must fail here, with file:line:column,
// not as a stack trace at host start followed by a systemd restart loop.
public static partial class ConfigLoader
{
    /// <summary>The git source's options from berth.yaml's `source:` (the mirror lives in the state directory).</summary>
    internal static GitSourceOptions GitSourceOptionsFrom(DaemonConfig config) => new()
    {
        Url = config.Source.Url,
        Branch = config.Source.Branch,
        SubPath = config.Source.Path,
        PollInterval = config.Reconcile.Interval,
        FetchTimeout = config.Source.FetchTimeout,
        AllowInsecureHttp = config.Source.AllowInsecureHttp,
        CacheDirectory = System.IO.Path.Combine(config.StateDir, "git"),
        Credentials = new GitCredentials
        {
            TokenFile = config.Source.Credentials.TokenFile,
            UsernameFile = config.Source.Credentials.UsernameFile,
            PasswordFile = config.Source.Credentials.PasswordFile,
            SshKeyFile = config.Source.Credentials.SshKeyFile,
            KnownHostsFile = config.Source.Credentials.KnownHostsFile,
        },
        Signatures = config.Source.Signatures.Policy == SignaturePolicy.Required
            ? new Reconciler.Git.SignaturePolicy
            {
                AllowedSignersFile = config.Source.Signatures.AllowedSignersFile,
                GpgPublicKeyFiles = config.Source.Signatures.GpgKeyFile is { } gpgKeys ? [gpgKeys] : [],
            }
            : null,
    };

    // GitSourceOptions names its options as a library does; berth.yaml has its own keys.
    private static readonly Dictionary<string, string> BerthYamlKeys = new(StringComparer.Ordinal)
    {
        ["git.url"] = "source.url",
        ["git.branch"] = "source.branch",
        ["git.subPath"] = "source.path",
        ["git.fetchTimeout"] = "source.fetchTimeout",
        ["git.signatures"] = "source.signatures",
        ["git.pollInterval"] = "reconcile.interval",
        ["git.pollJitter"] = "reconcile.jitter",
        ["git.cacheDirectory"] = "stateDir",
        ["git.allowInsecureHttp"] = "source.allowInsecureHttp",
        ["credentials"] = "source.credentials",
    };

    [GeneratedRegex(@"(?<![\w.])(?:git\.(?:url|branch|subPath|fetchTimeout|signatures|pollInterval|pollJitter|cacheDirectory|allowInsecureHttp)|credentials)(?![\w])", RegexOptions.CultureInvariant)]
    private static partial Regex LibraryOptionNamePattern();

    private static void ValidateGitSource(DaemonConfig config, YamlSection root, YamlSection source, ConfigErrors errors)
    {
        foreach (var problem in GitSourceOptionsFrom(config).ValidateFields())
        {
            var message = LibraryOptionNamePattern().Replace(problem.Message, match => BerthYamlKeys[match.Value]).TrimEnd('.');
            errors.Add(PositionOf(problem.Field, root, source), message);
        }
    }

    /// <summary>Where berth.yaml sets the option a git source problem is about (the value when present).</summary>
    private static Location PositionOf(string field, YamlSection root, YamlSection source)
    {
        Location ValueOrKey(YamlSection section, string key) => section.Scalar(key)?.At ?? section.KeyPosition(key);

        var urlPosition = ValueOrKey(source, "url");
        switch (field)
        {
            case "git.url": return urlPosition;
            case "git.branch": return ValueOrKey(source, "branch");
            case "git.subPath": return ValueOrKey(source, "path");
            case "git.fetchTimeout": return ValueOrKey(source, "fetchTimeout");
            case "git.signatures": return source.KeyPosition("signatures");
            case "git.cacheDirectory": return ValueOrKey(root, "stateDir");
            case "git.allowInsecureHttp": return ValueOrKey(source, "allowInsecureHttp");
            case "git.pollInterval" or "git.pollJitter": return root.KeyPosition("reconcile");
        }

        if (!field.StartsWith("credentials", StringComparison.Ordinal))
        {
            return source.Start;
        }

        // A missing credential is demanded by the URL's transport: point at the URL then.
        if (!source.Has("credentials"))
        {
            return urlPosition;
        }

        // Reading the section again is safe: this runs only when loading found no error, so it cannot
        // report an unknown key or a wrong node type a second time.
        var credentials = source.Section("credentials", CredentialKeys);
        var key = field.StartsWith("credentials.", StringComparison.Ordinal) ? field["credentials.".Length..] : null;
        return key is not null && credentials?.Has(key) == true ? ValueOrKey(credentials, key) : source.KeyPosition("credentials");
    }
}
