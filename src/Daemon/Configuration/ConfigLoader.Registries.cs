using Berth.Reconciler.Spec.Yaml;

namespace Berth.Daemon.Configuration;

// berth.yaml `registries:`: where pulls and registry checks find credentials and CAs (docs/images.md).
public static partial class ConfigLoader
{
    private static readonly string[] RegistriesKeys = ["configFile", "caFiles"];

    private static RegistrySettings ReadRegistries(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return RegistrySettings.Default;
        }

        // Given explicitly, the file must exist: a typo would otherwise mean anonymous pulls, found only at the
        // first private image. The default may be absent (a host that pulls only public images).
        var configFile = ReadExistingFile(section, "configFile", baseDirectory, errors) ?? RegistrySettings.Default.ConfigFile;
        var caFiles = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (section.Value("caFiles") is { } caNode)
        {
            if (caNode is not MappingNode mapping)
            {
                errors.Add(caNode.Start, $"{section.Qualify("caFiles")}: expected a mapping of registry (host:port) to a PEM CA file, found {caNode.KindDescription}");
            }
            else
            {
                foreach (var entry in mapping.Entries)
                {
                    var registry = entry.Key.Value;
                    if (entry.Value is not ScalarNode { IsNull: false } file)
                    {
                        errors.Add(entry.Value.Start, $"{section.Qualify("caFiles")}.{registry}: expected the path of a PEM CA file");
                        continue;
                    }

                    if (registry.Contains('/', StringComparison.Ordinal) || registry.Contains("://", StringComparison.Ordinal))
                    {
                        errors.Add(entry.Key.Start, $"{section.Qualify("caFiles")}: '{registry}' is not a registry as image references name it (host or host:port, without scheme or path)");
                        continue;
                    }

                    var fullPath = System.IO.Path.GetFullPath(file.Value, baseDirectory);
                    if (ReadableFileProblem(fullPath) is { } problem)
                    {
                        errors.Add(file.Start, $"{section.Qualify("caFiles")}.{registry}: '{fullPath}' {problem}");
                        continue;
                    }

                    caFiles[registry] = fullPath;
                }
            }
        }

        return new RegistrySettings(configFile, caFiles);
    }
}
