using Berth.Daemon.Configuration;

namespace Berth.Tests.Daemon;

/// <summary>berth.yaml's registries: section (docs/images.md): checked at start, every error at its line.</summary>
public sealed class RegistriesConfigTests : IDisposable
{
    private const string MinimalSource = "source:\n  url: https://git.example.com/ops/hosts.git\n";

    private readonly string directory = Directory.CreateTempSubdirectory("berth-registries-config-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string ConfigFile => Path.Combine(directory, "berth.yaml");

    private ConfigLoadResult Load(string yaml) => ConfigLoader.Load(ConfigFile, MinimalSource + yaml, "machine-name");

    [Fact]
    public void Load_NoRegistriesSection_UsesRootsDockerConfig()
    {
        var result = Load("");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal("/root/.docker/config.json", result.Config!.Registries.ConfigFile);
        Assert.Empty(result.Config.Registries.CaFiles);
    }

    [Fact]
    public void Load_ConfigFileAndCaFiles_AreResolvedFromTheConfigsDirectory()
    {
        File.WriteAllText(Path.Combine(directory, "docker-config.json"), "{}");
        File.WriteAllText(Path.Combine(directory, "ca.pem"), "-----BEGIN CERTIFICATE-----\n");

        var result = Load("registries:\n  configFile: docker-config.json\n  caFiles:\n    registry.internal:5000: ca.pem\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(Path.Combine(directory, "docker-config.json"), result.Config!.Registries.ConfigFile);
        Assert.Equal(Path.Combine(directory, "ca.pem"), result.Config.Registries.CaFiles["registry.internal:5000"]);
    }

    [Fact]
    public void Load_MissingFilesAndAUrlAsRegistry_AreEachReportedAtTheirLine()
    {
        var result = Load("registries:\n  configFile: absent.json\n  caFiles:\n    https://registry.internal: ca.pem\n    other:5000: absent.pem\n");

        Assert.Equal(
        [
            $"{ConfigFile}:4:15: registries.configFile: '{Path.Combine(directory, "absent.json")}' does not exist",
            $"{ConfigFile}:6:5: registries.caFiles: 'https://registry.internal' is not a registry as image references name it (host or host:port, without scheme or path)",
            $"{ConfigFile}:7:17: registries.caFiles.other:5000: '{Path.Combine(directory, "absent.pem")}' does not exist",
        ],
        result.Errors.Select(error => error.ToString()));
    }
}
