namespace Berth.Daemon.Configuration;

// berth.yaml `webhooks:`: one secret file per provider, read once at start.
public static partial class ConfigLoader
{
    private static WebhookSettings ReadWebhooks(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return new WebhookSettings(null, null, null);
        }

        return new WebhookSettings(
            ReadWebhookSecret(section, "github", baseDirectory, errors),
            ReadWebhookSecret(section, "gitlab", baseDirectory, errors),
            ReadWebhookSecret(section, "gitea", baseDirectory, errors));
    }

    private static WebhookSecret? ReadWebhookSecret(YamlSection webhooks, string provider, string baseDirectory, ConfigErrors errors)
    {
        var section = webhooks.Section(provider, WebhookProviderKeys);
        if (section is null)
        {
            return null;
        }

        if (!section.Has("secretFile"))
        {
            errors.Add(section.Start, $"webhooks.{provider}.secretFile: required (or remove webhooks.{provider} to disable it)");
            return null;
        }

        var file = ReadExistingFile(section, "secretFile", baseDirectory, errors);
        if (file is null)
        {
            return null;
        }

        // Trailing newlines come from `echo secret > file`; they are never part of a webhook secret.
        var secret = File.ReadAllText(file).TrimEnd('\r', '\n');
        if (secret.Length == 0)
        {
            errors.Add(section.KeyPosition("secretFile"), $"webhooks.{provider}.secretFile: '{file}' is empty");
            return null;
        }

        return new WebhookSecret(secret, file);
    }

    /// <summary>A file that must exist and be readable; null when not configured or when it is an error.</summary>
}
