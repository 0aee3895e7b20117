using System.Net.Mail;
using Berth.Daemon.Notifications;
using Berth.Reconciler.Forge;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Daemon.Configuration;

// berth.yaml `forge:`, `commitStatus:` and `notifications:` (docs/fleet.md).
public static partial class ConfigLoader
{
    private static readonly string[] ForgeKeys = ["provider", "apiUrl", "repository", "tokenFile"];
    private static readonly string[] CommitStatusKeys = ["enabled", "context", "targetUrl"];
    private static readonly string[] NotificationKeys = ["repeatInterval", "sinks"];
    private static readonly string[] SinkKeys = ["type", "url", "tokenFile", "events", "host", "port", "startTls", "from", "to", "username", "passwordFile"];

    private static ForgeSettings? ReadForge(YamlSection? section, string? sourceUrl, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return null;
        }

        ForgeKind? kind = null;
        if (section.Scalar("provider") is { } provider)
        {
            kind = provider.Value switch
            {
                "github" => ForgeKind.GitHub,
                "gitlab" => ForgeKind.GitLab,
                "gitea" or "forgejo" => ForgeKind.Gitea,
                _ => null,
            };
            if (kind is null)
            {
                errors.Add(provider.At, $"forge.provider: '{provider.Value}' is not one of github, gitlab, gitea, forgejo");
                return null;
            }
        }

        var tokenFile = ReadSecretFile(section, "tokenFile", baseDirectory, errors, required: true);
        var apiUrl = ReadHttpUrl(section, "apiUrl", errors);
        var repository = section.Scalar("repository");

        // From the source URL what is not given explicitly; both explicit: the source URL is not needed.
        var derived = sourceUrl is null ? null : ForgeRepository.FromCloneUrl(sourceUrl, kind, out var problem);
        var forgeKind = kind ?? derived?.Kind;
        if (forgeKind is null)
        {
            errors.Add(section.Start, "forge.provider: required: the source URL does not tell which forge it is (github, gitlab or gitea)");
            return null;
        }

        var repositoryPath = repository?.Value ?? derived?.Repository;
        if (repositoryPath is null)
        {
            errors.Add(section.Start, "forge.repository: required: the source URL does not tell the repository (owner/repo; GitLab: group/project)");
            return null;
        }

        if (repository is { } given && forgeKind != ForgeKind.GitLab && given.Value.Trim('/').Count(c => c == '/') != 1)
        {
            errors.Add(given.At, $"forge.repository: '{given.Value}' is not owner/repository");
            return null;
        }

        var apiBase = apiUrl ?? derived?.ApiBase;
        if (apiBase is null)
        {
            errors.Add(section.Start, "forge.apiUrl: required: the source URL does not tell the forge's API (e.g. https://git.example.com/api/v1)");
            return null;
        }

        return tokenFile is null ? null : new ForgeSettings(new ForgeRepository(forgeKind.Value, apiBase, repositoryPath.Trim('/')), tokenFile);
    }

    private static CommitStatusSettings ReadCommitStatus(YamlSection? section, bool hasForge, ConfigErrors errors)
    {
        if (section is null)
        {
            return CommitStatusSettings.Default;
        }

        if (!hasForge)
        {
            errors.Add(section.Start, "commitStatus: needs a forge: section (where to send the statuses)");
        }

        var enabled = ReadBoolean(section, "enabled", errors) ?? true;
        var prefix = CommitStatusSettings.Default.ContextPrefix;
        if (section.Scalar("context") is { } context)
        {
            // Printable, no spaces: GitHub shows it as a check's name, GitLab as a job's name; the host is appended.
            if (context.Value.Length > 100 || context.Value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                errors.Add(context.At, $"commitStatus.context: '{context.Value}' must be at most 100 characters without spaces (the context is CONTEXT/HOST)");
            }
            else
            {
                prefix = context.Value.TrimEnd('/');
            }
        }

        return new CommitStatusSettings(enabled, prefix, ReadHttpUrl(section, "targetUrl", errors)?.AbsoluteUri);
    }

    private static NotificationSettings? ReadNotifications(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return null;
        }

        var repeat = ReadDuration(section, "repeatInterval", NotificationSettings.DefaultRepeatInterval, errors);
        var sinks = new List<NotificationSinkSettings>();
        switch (section.Value("sinks"))
        {
            case null or ScalarNode { IsNull: true }:
                errors.Add(section.Start, "notifications.sinks: required: a list of sinks (type: webhook, slack, ntfy or email)");
                break;
            case SequenceNode sequence:
                for (var index = 0; index < sequence.Items.Length; index++)
                {
                    if (sequence.Items[index] is not MappingNode mapping)
                    {
                        errors.Add(sequence.Items[index].Start, $"notifications.sinks[{index}]: expected a mapping (type: ..., url: ...), found {sequence.Items[index].KindDescription}");
                        continue;
                    }

                    if (ReadSink(new YamlSection(mapping, $"notifications.sinks[{index}]", errors, SinkKeys), baseDirectory, errors) is { } sink)
                    {
                        sinks.Add(sink);
                    }
                }

                break;
            case var other:
                errors.Add(other.Start, $"notifications.sinks: expected a list, found {other.KindDescription}");
                break;
        }

        return new NotificationSettings(repeat, sinks);
    }

    private static NotificationSinkSettings? ReadSink(YamlSection sink, string baseDirectory, ConfigErrors errors)
    {
        if (sink.Scalar("type") is not { } typeValue)
        {
            errors.Add(sink.Start, $"{sink.Qualify("type")}: required: webhook, slack, ntfy or email");
            return null;
        }

        NotificationSinkType? type = typeValue.Value switch
        {
            "webhook" => NotificationSinkType.Webhook,
            "slack" or "mattermost" or "discord" => NotificationSinkType.Slack,
            "ntfy" => NotificationSinkType.Ntfy,
            "email" => NotificationSinkType.Email,
            _ => null,
        };
        if (type is null)
        {
            errors.Add(typeValue.At, $"{sink.Qualify("type")}: '{typeValue.Value}' is not one of webhook, slack (mattermost, discord), ntfy, email");
            return null;
        }

        var events = new HashSet<NotificationEvent>();
        foreach (var (value, at) in sink.Sequence("events") ?? [])
        {
            var match = Enum.GetValues<NotificationEvent>().Where(candidate => Notification.EventName(candidate) == value).ToList();
            if (match.Count == 0)
            {
                errors.Add(at, $"{sink.Qualify("events")}: '{value}' is not one of {string.Join(", ", Enum.GetValues<NotificationEvent>().Select(Notification.EventName))}");
            }
            else
            {
                events.Add(match[0]);
            }
        }

        // Keys of the other sink types are mistakes (a `to:` on a webhook would be silently ignored).
        string[] ownKeys = type == NotificationSinkType.Email
            ? ["type", "events", "host", "port", "startTls", "from", "to", "username", "passwordFile"]
            : type == NotificationSinkType.Ntfy ? ["type", "events", "url", "tokenFile"] : ["type", "events", "url"];
        foreach (var key in SinkKeys.Where(key => !ownKeys.Contains(key) && sink.Has(key)))
        {
            errors.Add(sink.KeyPosition(key), $"{sink.Qualify(key)}: not a setting of a {typeValue.Value} sink (its settings: {string.Join(", ", ownKeys)})");
        }

        if (type == NotificationSinkType.Email)
        {
            return ReadSmtp(sink, baseDirectory, errors) is { } smtp ? new NotificationSinkSettings(type.Value, null, null, smtp, events) : null;
        }

        var url = ReadHttpUrl(sink, "url", errors);
        if (url is null)
        {
            if (!sink.Has("url"))
            {
                errors.Add(sink.Start, $"{sink.Qualify("url")}: required: where to POST the notifications");
            }

            return null;
        }

        var tokenFile = type == NotificationSinkType.Ntfy ? ReadSecretFile(sink, "tokenFile", baseDirectory, errors, required: false) : null;
        return new NotificationSinkSettings(type.Value, url, tokenFile, null, events);
    }

    private static SmtpSettings? ReadSmtp(YamlSection sink, string baseDirectory, ConfigErrors errors)
    {
        var valid = true;
        string Required(string key, string what)
        {
            if (sink.Scalar(key) is { } value)
            {
                return value.Value;
            }

            errors.Add(sink.Start, $"{sink.Qualify(key)}: required: {what}");
            valid = false;
            return "";
        }

        var host = Required("host", "the SMTP server's name or address");
        var from = Required("from", "the sender address");
        var port = 25;
        if (sink.Scalar("port") is { } portValue && (!int.TryParse(portValue.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            errors.Add(portValue.At, $"{sink.Qualify("port")}: '{portValue.Value}' is not a port (1-65535)");
            valid = false;
        }

        var to = new List<string>();
        foreach (var (value, at) in sink.Sequence("to") ?? [])
        {
            if (MailAddress.TryCreate(value, out _))
            {
                to.Add(value);
            }
            else
            {
                errors.Add(at, $"{sink.Qualify("to")}: '{value}' is not an e-mail address");
                valid = false;
            }
        }

        if (to.Count == 0 && valid && !sink.Has("to"))
        {
            errors.Add(sink.Start, $"{sink.Qualify("to")}: required: one or more recipients");
            valid = false;
        }

        if (from.Length > 0 && !MailAddress.TryCreate(from, out _))
        {
            errors.Add(sink.KeyPosition("from"), $"{sink.Qualify("from")}: '{from}' is not an e-mail address");
            valid = false;
        }

        var username = sink.Scalar("username")?.Value;
        var passwordFile = ReadSecretFile(sink, "passwordFile", baseDirectory, errors, required: false);
        if ((username is null) == sink.Has("passwordFile"))
        {
            errors.Add(sink.KeyPosition(username is null ? "passwordFile" : "username"), $"{sink.Qualify("username")} and {sink.Qualify("passwordFile")}: give both (SMTP AUTH) or neither");
            valid = false;
        }

        var startTls = ReadBoolean(sink, "startTls", errors) ?? false;
        return valid
            ? new SmtpSettings(host, port, startTls, from, to, username, passwordFile is null ? null : () => ReadSecretText(passwordFile))
            : null;
    }

    /// <summary>An http(s) URL; null when absent or an error.</summary>
    private static Uri? ReadHttpUrl(YamlSection section, string key, ConfigErrors errors)
    {
        if (section.Scalar(key) is not { } value)
        {
            return null;
        }

        if (!Uri.TryCreate(value.Value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            errors.Add(value.At, $"{section.Qualify(key)}: '{value.Value}' is not an http:// or https:// URL");
            return null;
        }

        return uri;
    }

    private static bool? ReadBoolean(YamlSection section, string key, ConfigErrors errors)
    {
        if (section.Scalar(key) is not { } value)
        {
            return null;
        }

        switch (value.Value)
        {
            case "true": return true;
            case "false": return false;
            default:
                errors.Add(value.At, $"{section.Qualify(key)}: '{value.Value}' is not true or false");
                return null;
        }
    }

    /// <summary>
    /// A file holding a secret (forge token, ntfy token, SMTP password): it must exist, be non-empty and be
    /// readable by its owner only, like http.tokenFile (whoever reads a forge token can write to the
    /// repository's statuses, often more). Read here once to fail the start, then again on every use.
    /// </summary>
    private static string? ReadSecretFile(YamlSection section, string key, string baseDirectory, ConfigErrors errors, bool required)
    {
        if (!section.Has(key))
        {
            if (required)
            {
                errors.Add(section.Start, $"{section.Qualify(key)}: required: a file holding the token, mode 0600");
            }

            return null;
        }

        var file = ReadExistingFile(section, key, baseDirectory, errors);
        if (file is null)
        {
            return null;
        }

        const UnixFileMode OthersMayAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        var mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(file);
        if ((mode & OthersMayAccess) != 0)
        {
            errors.Add(section.KeyPosition(key), $"{section.Qualify(key)}: '{file}' can be read or written by other users (mode {Convert.ToString((int)mode, 8)}); make it 0600 or 0400 (chmod 600)");
            return null;
        }

        if (ReadSecretText(file).Length == 0)
        {
            errors.Add(section.KeyPosition(key), $"{section.Qualify(key)}: '{file}' is empty");
            return null;
        }

        return file;
    }

    /// <summary>A secret file's content without the trailing newline `echo token > file` leaves.</summary>
    internal static string ReadSecretText(string file) => File.ReadAllText(file).TrimEnd('\r', '\n');
}
