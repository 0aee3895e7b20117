using Berth.Reconciler.Secrets.Sops;

namespace Berth.Daemon.Configuration;

// berth.yaml `spec:`: host-local inputs to loading the desired state, the daemon's equivalent of
// `berth apply --host-env-file`.
public static partial class ConfigLoader
{
    private static SpecSettings ReadSpec(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return SpecSettings.None;
        }

        var settings = new SpecSettings(ReadHostEnvFiles(section, baseDirectory, errors), ReadAgeKeyFile(section, baseDirectory, errors));
        if (section.Scalar("hostSecretsDirectory") is { } hostSecrets)
        {
            settings = settings with { HostSecretsDirectory = System.IO.Path.GetFullPath(hostSecrets.Value, baseDirectory) };
        }

        if (section.Scalar("secretFilesDirectory") is { } secretFiles)
        {
            settings = settings with { SecretFilesDirectory = System.IO.Path.GetFullPath(secretFiles.Value, baseDirectory) };
        }

        return settings;
    }

    /// <summary>
    /// The age identity file: checked at start (present, private, holding an identity age accepts), so
    /// that a wrong path fails the start and not the first pass that meets an encrypted file.
    /// </summary>
    private static string? ReadAgeKeyFile(YamlSection section, string baseDirectory, ConfigErrors errors)
    {
        if (section.Scalar("ageKeyFile") is not { } value)
        {
            return null;
        }

        var fullPath = System.IO.Path.GetFullPath(value.Value, baseDirectory);
        var problem = AgeKeyFile.AccessProblem(fullPath) ?? ReadableFileProblem(fullPath);
        if (problem is null)
        {
            try
            {
                new AgeKeyFile(fullPath).Recipients();
            }
            catch (SopsKeyException exception)
            {
                problem = exception.Message;
            }
        }

        if (problem is not null)
        {
            errors.Add(value.At, $"spec.ageKeyFile: '{fullPath}' {problem}");
            return null;
        }

        return fullPath;
    }

    private static List<string> ReadHostEnvFiles(YamlSection section, string baseDirectory, ConfigErrors errors)
    {
        if (section.Sequence("hostEnvFiles") is not { } entries)
        {
            return [];
        }

        // Checked once here so a typo fails the start; read again on every pass (Spec loader), so a
        // rotated secret is picked up without a restart. Only paths appear in messages, never values.
        var files = new List<string>();
        foreach (var (value, at) in entries)
        {
            var fullPath = System.IO.Path.GetFullPath(value, baseDirectory);
            if (ReadableFileProblem(fullPath) is { } problem)
            {
                errors.Add(at, $"spec.hostEnvFiles: '{fullPath}' {problem}");
                continue;
            }

            files.Add(fullPath);
        }

        return files;
    }
}
