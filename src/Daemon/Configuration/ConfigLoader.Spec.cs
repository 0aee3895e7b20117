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

        var directories = SpecSettings.None;
        if (section.Scalar("hostSecretsDirectory") is { } hostSecrets)
        {
            directories = directories with { HostSecretsDirectory = System.IO.Path.GetFullPath(hostSecrets.Value, baseDirectory) };
        }

        if (section.Scalar("secretFilesDirectory") is { } secretFiles)
        {
            directories = directories with { SecretFilesDirectory = System.IO.Path.GetFullPath(secretFiles.Value, baseDirectory) };
        }

        if (section.Sequence("hostEnvFiles") is not { } entries)
        {
            return directories;
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

        return new SpecSettings(files) { HostSecretsDirectory = directories.HostSecretsDirectory, SecretFilesDirectory = directories.SecretFilesDirectory };
    }
}
