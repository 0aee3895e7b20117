using Berth.Daemon.Configuration;
using Berth.Daemon.Passes;
using Berth.Tests.Shared;
using Berth.Tests.Spec;

namespace Berth.Tests.Daemon;

/// <summary>berth.yaml's spec.ageKeyFile: checked at start, and the daemon's passes decrypt with it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgeKeyFileConfigTests : IDisposable
{
    private const string MinimalSource = "source:\n  url: https://git.example.com/ops/hosts.git\n";

    private readonly string directory = Directory.CreateTempSubdirectory("berth-age-config-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private ConfigLoadResult Load(string yaml) => ConfigLoader.Load(Path.Combine(directory, "berth.yaml"), MinimalSource + yaml, "machine-name");

    [Fact]
    public void Load_PrivateAgeKeyFile_IsAcceptedAndDecryptsTheHostsFiles()
    {
        var (keyFile, recipient) = SopsTestFiles.NewAgeKey(directory, "age.key");

        var result = Load("spec:\n  ageKeyFile: age.key\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(keyFile, result.Config!.Spec.AgeKeyFile);
        var repository = SpecTestRepository.Compose("services:\n  web:\n    image: busybox\n    env_file: app.env\n")
            .With("app.env", SopsTestFiles.Dotenv([("TOKEN", "from-sops")], recipient));
        var loaded = repository.LoadHost(options: GitOpsPass.LoadOptions(result.Config));
        Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        Assert.Equal("from-sops", loaded.State!.Stacks[0].Services[0].Container.Environment["TOKEN"]);
    }

    [Fact]
    public void Load_AgeKeyFileReadableByOthers_IsRefusedAtItsLine()
    {
        var (keyFile, _) = SopsTestFiles.NewAgeKey(directory, "age.key");
        File.SetUnixFileMode(keyFile, (UnixFileMode)0b110_100_100);

        var result = Load("spec:\n  ageKeyFile: age.key\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal($"{Path.Combine(directory, "berth.yaml")}:4:15: spec.ageKeyFile: '{keyFile}' can be read or written by other users (mode 644); make it 0600 or 0400 (chmod 600)", error.ToString());
    }

    [Fact]
    public void Load_AgeKeyFileWithoutIdentity_IsRefused()
    {
        var keyFile = Path.Combine(directory, "age.key");
        File.WriteAllText(keyFile, "not a key\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var result = Load("spec:\n  ageKeyFile: age.key\n");

        Assert.Contains("holds no usable age identity", Assert.Single(result.Errors).ToString(), StringComparison.Ordinal);
    }
}
