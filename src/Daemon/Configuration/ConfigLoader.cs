using System.Net;
using System.Text.RegularExpressions;
using Berth.Daemon.Loop;
using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Yaml;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Configuration;

/// <summary>
/// Reads and validates berth.yaml. Reports every error at once, each with file:line:column (YARP's
/// habit); the daemon refuses to start with any of them. Relative file paths are relative to the
/// config file's directory. Secret files are read here, once; their content never appears in a message.
/// </summary>
public static partial class ConfigLoader
{
    private static readonly string[] RootKeys = ["host", "listen", "stateDir", "dockerHost", "logLevel", "reconcile", "source", "webhooks", "spec", "http", "policy", "forge", "commitStatus", "notifications", "waves", "images", "registries"];
    private static readonly string[] ImagesKeys = ["gcInterval"];
    private static readonly string[] HttpKeys = ["tokenFile", "allowedHosts"];
    private static readonly string[] ReconcileKeys = ["interval", "jitter", "retryInitialDelay", "retryMaxDelay", "stuckPassAfter", "shutdownTimeout", "maxConcurrentStarts", "maxConcurrentPulls", "resyncInterval"];
    private static readonly string[] SourceKeys = ["url", "branch", "path", "fetchTimeout", "credentials", "signatures", "allowInsecureHttp"];
    private static readonly string[] SpecKeys = ["hostEnvFiles", "ageKeyFile", "hostSecretsDirectory", "secretFilesDirectory"];
    private static readonly string[] CredentialKeys = ["tokenFile", "usernameFile", "passwordFile", "sshKeyFile", "knownHostsFile"];
    private static readonly string[] SignatureKeys = ["policy", "allowedSignersFile", "gpgKeyFile"];
    private static readonly string[] WebhookKeys = ["github", "gitlab", "gitea"];
    private static readonly string[] WebhookProviderKeys = ["secretFile"];

    /// <summary>Loads <paramref name="path"/>; a missing or unreadable file is an error like any other.</summary>
    public static ConfigLoadResult LoadFile(string path, string machineHostName)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new ConfigLoadResult(null, [new SpecError(fullPath, 1, 1, $"cannot read the config file: {exception.Message}")]);
        }

        return Load(fullPath, text, machineHostName);
    }

    /// <param name="file">The file's absolute path: for messages, and the base of relative paths.</param>
    public static ConfigLoadResult Load(string file, string yamlText, string machineHostName)
    {
        var errors = new ConfigErrors(file);
        var root = Parse(file, yamlText, errors);
        if (root is null)
        {
            return new ConfigLoadResult(null, errors.All);
        }

        var baseDirectory = System.IO.Path.GetDirectoryName(file) ?? "/";
        var section = new YamlSection(root, "", errors, RootKeys);

        var host = ReadHost(section, machineHostName, errors);
        var listen = ReadListen(section, errors);
        var stateDir = ReadAbsolutePath(section, "stateDir", errors) ?? DaemonConfig.DefaultStateDir;
        var dockerHost = ReadDockerHost(section, errors);
        var logLevel = ReadLogLevel(section, errors);
        var reconcile = ReadReconcile(section.Section("reconcile", ReconcileKeys), errors);
        var source = ReadSource(section, baseDirectory, errors, out var sourceSection);
        var webhooks = ReadWebhooks(section.Section("webhooks", WebhookKeys), baseDirectory, errors);
        var spec = ReadSpec(section.Section("spec", SpecKeys), baseDirectory, errors);
        var httpSection = section.Section("http", HttpKeys);
        var http = ReadHttp(httpSection, baseDirectory, errors);
        RequireTokenOffLoopback(listen, section.KeyPosition("listen"), httpSection, errors);
        var waves = ReadWaves(section.Section("waves", WavesKeys), errors);

        // Without a `policy:` section the daemon allows what any commit asks for, as before policies
        // existed; the packaged config ships one (docs/policy.md).
        var policy = section.Value("policy") is { } policyNode ? HostPolicyReader.Read(errors.Reader, policyNode, "policy") : null;
        var images = new ImageSettings(section.Section("images", ImagesKeys) is { } imagesSection
            ? ReadDuration(imagesSection, "gcInterval", ImageSettings.DefaultGcInterval, errors, allowZero: true)
            : ImageSettings.DefaultGcInterval);

        // Commit statuses and notifications (docs/fleet.md); the forge defaults to the source URL's.
        var forge = ReadForge(section.Section("forge", ForgeKeys), source?.Url, baseDirectory, errors);
        var commitStatus = ReadCommitStatus(section.Section("commitStatus", CommitStatusKeys), section.Has("forge"), errors);
        var notifications = ReadNotifications(section.Section("notifications", NotificationKeys), baseDirectory, errors);
        var registries = ReadRegistries(section.Section("registries", RegistriesKeys), baseDirectory, errors);

        if (errors.Count > 0 || source is null || sourceSection is null)
        {
            return new ConfigLoadResult(null, errors.All);
        }

        var config = new DaemonConfig(file, host, listen, stateDir, dockerHost, logLevel, reconcile, source, webhooks, spec, http)
        {
            Policy = policy,
            Forge = forge,
            CommitStatus = commitStatus,
            Notifications = notifications,
            Waves = waves,
            Images = images,
            Registries = registries,
        };

        // The git source's own rules (which credentials a transport needs, ranges) come last: they are
        // about combinations of keys, and would repeat the errors above while a key is still wrong.
        ValidateGitSource(config, section, sourceSection, errors);
        return errors.Count > 0 ? new ConfigLoadResult(null, errors.All) : new ConfigLoadResult(config, []);
    }

    private static MappingNode? Parse(string file, string yamlText, ConfigErrors errors)
    {
        // The spec's YAML reader: syntax errors, every duplicate key, unknown anchors and the size
        // limits are reported as for a Compose file, in the same words.
        var root = YamlDocumentLoader.Load(file, yamlText, errors.Collector, out var isEmpty);
        if (isEmpty)
        {
            // An empty file still needs `source:`; report it against the empty mapping.
            return new MappingNode(Location.StartOf(file), []);
        }

        if (root is null)
        {
            return null;
        }

        if (root is not MappingNode mapping)
        {
            errors.Add(root.Start, $"expected a mapping (key: value lines) at the top level, not {root.KindDescription}");
            return null;
        }

        return mapping;
    }

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$", RegexOptions.CultureInvariant)]
    private static partial Regex HostNamePattern();

    private static string ReadHost(YamlSection section, string machineHostName, ConfigErrors errors)
    {
        if (section.Scalar("host") is not { } host)
        {
            return machineHostName;
        }

        if (!HostNamePattern().IsMatch(host.Value))
        {
            errors.Add(host.At, $"host: '{host.Value}' is not a host name (letters, digits, '.', '-', '_'; at most 253)");
        }

        return host.Value;
    }

    private static IPEndPoint ReadListen(YamlSection section, ConfigErrors errors)
    {
        var fallback = new IPEndPoint(IPAddress.Loopback, DaemonConfig.DefaultPort);
        if (section.Scalar("listen") is not { } listen)
        {
            return fallback;
        }

        // IPEndPoint.TryParse accepts a bare address (port 0): insist on an explicit port.
        var hasPort = listen.Value.StartsWith('[') ? listen.Value.Contains("]:", StringComparison.Ordinal) : listen.Value.Count(c => c == ':') == 1;
        if (!hasPort || !IPEndPoint.TryParse(listen.Value, out var endpoint) || endpoint.Port == 0)
        {
            errors.Add(listen.At, $"listen: '{listen.Value}' is not ADDRESS:PORT with an IP address and a port 1-65535 (e.g. 127.0.0.1:{DaemonConfig.DefaultPort}, [::1]:{DaemonConfig.DefaultPort})");
            return fallback;
        }

        return endpoint;
    }

    private static string? ReadAbsolutePath(YamlSection section, string key, ConfigErrors errors)
    {
        if (section.Scalar(key) is not { } value)
        {
            return null;
        }

        if (!System.IO.Path.IsPathFullyQualified(value.Value))
        {
            errors.Add(value.At, $"{section.Qualify(key)}: '{value.Value}' must be an absolute path");
            return null;
        }

        return value.Value;
    }

    private static string? ReadDockerHost(YamlSection section, ConfigErrors errors)
    {
        if (section.Scalar("dockerHost") is not { } dockerHost)
        {
            return null;
        }

        if (!Uri.TryCreate(dockerHost.Value, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp"))
        {
            errors.Add(dockerHost.At, $"dockerHost: '{dockerHost.Value}' is not unix:///path/to/docker.sock or tcp://host:port");
            return null;
        }

        return dockerHost.Value;
    }

    private static LogLevel ReadLogLevel(YamlSection section, ConfigErrors errors)
    {
        if (section.Scalar("logLevel") is not { } level)
        {
            return LogLevel.Information;
        }

        switch (level.Value.ToLowerInvariant())
        {
            case "trace": return LogLevel.Trace;
            case "debug": return LogLevel.Debug;
            case "information" or "info": return LogLevel.Information;
            case "warning" or "warn": return LogLevel.Warning;
            case "error": return LogLevel.Error;
            default:
                errors.Add(level.At, $"logLevel: '{level.Value}' is not one of trace, debug, information, warning, error");
                return LogLevel.Information;
        }
    }

    private static ReconcileLoopOptions ReadReconcile(YamlSection? section, ConfigErrors errors)
    {
        var defaults = new ReconcileLoopOptions();
        if (section is null)
        {
            return defaults;
        }

        var interval = ReadDuration(section, "interval", defaults.Interval, errors);
        var jitter = ReadDuration(section, "jitter", defaults.Jitter, errors, allowZero: true);
        var retryInitial = ReadDuration(section, "retryInitialDelay", defaults.RetryInitialDelay, errors);
        var retryMax = ReadDuration(section, "retryMaxDelay", defaults.RetryMaxDelay, errors);
        var stuckAfter = ReadDuration(section, "stuckPassAfter", defaults.StuckPassAfter, errors);
        var shutdownTimeout = ReadDuration(section, "shutdownTimeout", defaults.ShutdownTimeout, errors);
        var maxConcurrentStarts = ReadPositiveCount(section, "maxConcurrentStarts", errors);
        var maxConcurrentPulls = ReadPositiveCount(section, "maxConcurrentPulls", errors);
        var resyncInterval = ReadDuration(section, "resyncInterval", defaults.ResyncInterval, errors, allowZero: true);

        if (jitter > interval)
        {
            errors.Add(section.KeyPosition("jitter"), $"reconcile.jitter ({DurationSyntax.Format(jitter)}) must not exceed reconcile.interval ({DurationSyntax.Format(interval)})");
        }

        if (retryMax < retryInitial)
        {
            errors.Add(section.KeyPosition("retryMaxDelay"), $"reconcile.retryMaxDelay ({DurationSyntax.Format(retryMax)}) must be at least reconcile.retryInitialDelay ({DurationSyntax.Format(retryInitial)})");
        }

        return defaults with
        {
            Interval = interval,
            Jitter = jitter,
            RetryInitialDelay = retryInitial,
            RetryMaxDelay = retryMax,
            StuckPassAfter = stuckAfter,
            ShutdownTimeout = shutdownTimeout,
            MaxConcurrentStarts = maxConcurrentStarts,
            MaxConcurrentPulls = maxConcurrentPulls,
            ResyncInterval = resyncInterval,
        };
    }

    /// <summary>A whole number of at least 1 (a count of things at once), or null when the key is absent.</summary>
    private static int? ReadPositiveCount(YamlSection section, string key, ConfigErrors errors)
    {
        if (section.Scalar(key) is not { } value)
        {
            return null;
        }

        if (int.TryParse(value.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count >= 1)
        {
            return count;
        }

        errors.Add(value.At, $"{section.Qualify(key)}: '{value.Value}' is not a whole number of at least 1");
        return null;
    }

    /// <summary>
    /// A duration in the grammar of Compose files (<see cref="DurationSyntax"/>), with the same messages;
    /// at most <see cref="DurationSyntax.LongestTimer"/>, the longest a .NET timer waits.
    /// </summary>
    private static TimeSpan ReadDuration(YamlSection section, string key, TimeSpan fallback, ConfigErrors errors, bool allowZero = false)
    {
        if (section.ScalarNode(key) is not { } value)
        {
            return fallback;
        }

        if (errors.Reader.Duration(value, section.Qualify(key), DurationSyntax.LongestTimer) is not { } duration)
        {
            return fallback;
        }

        if (duration == TimeSpan.Zero && !allowZero)
        {
            errors.Add(value.Start, $"{section.Qualify(key)}: must be greater than zero");
            return fallback;
        }

        return duration;
    }

    private static string? ReadExistingFile(YamlSection? section, string key, string baseDirectory, ConfigErrors errors)
    {
        if (section?.Scalar(key) is not { } value)
        {
            return null;
        }

        var fullPath = System.IO.Path.GetFullPath(value.Value, baseDirectory);
        if (ReadableFileProblem(fullPath) is { } problem)
        {
            errors.Add(value.At, $"{section.Qualify(key)}: '{fullPath}' {problem}");
            return null;
        }

        return fullPath;
    }

    /// <summary>Why the file cannot be read ("does not exist", ...), or null when it can.</summary>
    private static string? ReadableFileProblem(string fullPath)
    {
        try
        {
            using var stream = File.OpenRead(fullPath);
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return exception is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"cannot be read ({exception.Message})";
        }
    }
}
