using Berth.Daemon.Configuration;
using Berth.Daemon.Passes;
using Berth.Tests.Spec;

namespace Berth.Tests.Daemon;

/// <summary>
/// berth.yaml's spec.hostEnvFiles reach the daemon's spec loading: a `${SECRET}` without a default
/// resolves from the host file instead of making every commit invalid.
/// </summary>
public sealed class GitOpsPassLoadOptionsTests : IDisposable
{
    private const string SecretValue = "correct-horse-battery-staple";
    private const string ComposeWithSecret = "services:\n  web:\n    image: busybox\n    environment: { DB_PASSWORD: \"${DB_PASSWORD}\" }\n";

    private readonly string directory = Directory.CreateTempSubdirectory("berth-pass-env-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void LoadOptions_HostEnvFilesFromBerthYaml_ResolveAVariableWithoutDefault()
    {
        File.WriteAllText(Path.Combine(directory, "secrets.env"), $"DB_PASSWORD={SecretValue}\n");
        var config = LoadConfig("spec:\n  hostEnvFiles: [secrets.env]\n");

        var result = SpecTestRepository.Compose(ComposeWithSecret).LoadHost(options: GitOpsPass.LoadOptions(config));

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        Assert.Equal(SecretValue, result.State!.Stacks[0].Services[0].Container.Environment["DB_PASSWORD"]);
    }

    [Fact]
    public void LoadOptions_WithoutHostEnvFiles_TheSameCommitIsInvalidAndNoValueIsPrinted()
    {
        var config = LoadConfig("");

        var result = SpecTestRepository.Compose(ComposeWithSecret).LoadHost(options: GitOpsPass.LoadOptions(config));

        Assert.Contains(result.Errors, error => error.ToString().Contains("DB_PASSWORD", StringComparison.Ordinal));
        Assert.All(result.Errors, error => Assert.DoesNotContain(SecretValue, error.ToString(), StringComparison.Ordinal));
    }

    private DaemonConfig LoadConfig(string extra)
    {
        var result = ConfigLoader.Load(Path.Combine(directory, "berth.yaml"), "source:\n  url: https://git.example.com/ops/hosts.git\n" + extra, "host1");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Config!;
    }
}
