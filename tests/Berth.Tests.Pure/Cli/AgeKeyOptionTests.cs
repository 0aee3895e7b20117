using Berth.Daemon.Cli;
using Berth.Tests.Shared;

namespace Berth.Tests.Cli;

/// <summary>It sets SOPS_AGE_KEY_FILE for the whole process: no other test may run beside it.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;

/// <summary>`berth validate --age-key` and SOPS_AGE_KEY_FILE with an encrypted env_file.</summary>
[Collection(nameof(ProcessEnvironmentCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgeKeyOptionTests : IDisposable
{
    private const string Token = "validate-never-prints-this";

    private readonly string directory = Directory.CreateTempSubdirectory("berth-age-cli-").FullName;
    private readonly string repository;
    private readonly (string KeyFile, string Recipient) key;

    public AgeKeyOptionTests()
    {
        key = SopsTestFiles.NewAgeKey(directory, "age.key");
        repository = Directory.CreateDirectory(Path.Combine(directory, "repo")).FullName;
        File.WriteAllText(Path.Combine(repository, "compose.yaml"), "services:\n  web:\n    image: busybox\n    env_file: app.env\n");
        File.WriteAllText(Path.Combine(repository, "app.env"), SopsTestFiles.Dotenv([("TOKEN", Token)], key.Recipient));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Validate_AgeKeyOfTheRecipient_DecryptsAndPrintsNoValue()
    {
        var (exitCode, stdout, stderr) = await CliRunner.RunAsync("validate", "--repo", repository, "--age-key", key.KeyFile);

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.DoesNotContain(Token, stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SopsAgeKeyFileVariable_IsTheDefaultKey()
    {
        Environment.SetEnvironmentVariable(AgeKeyOption.EnvironmentVariable, key.KeyFile);
        try
        {
            var (exitCode, stdout, stderr) = await CliRunner.RunAsync("validate", "--repo", repository);

            Assert.True(exitCode == 0, stdout + stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AgeKeyOption.EnvironmentVariable, null);
        }
    }

    [Fact]
    public async Task Validate_AgeKeyReadableByOthers_IsRefused()
    {
        File.SetUnixFileMode(key.KeyFile, (UnixFileMode)0b110_100_100);

        var (exitCode, _, stderr) = await CliRunner.RunAsync("validate", "--repo", repository, "--age-key", key.KeyFile);

        Assert.Equal(1, exitCode);
        Assert.Equal($"berth validate: --age-key: '{key.KeyFile}' can be read or written by other users (mode 644); make it 0600 or 0400 (chmod 600)", stderr.Trim());
    }

    [Fact]
    public async Task Validate_NoKey_ReportsTheEncryptedFileAtItsMetadataLine()
    {
        var (exitCode, stdout, stderr) = await CliRunner.RunAsync("validate", "--repo", repository);

        Assert.Equal(1, exitCode);
        Assert.Contains("app.env:2:1: is a SOPS file encrypted to " + key.Recipient, stdout + stderr, StringComparison.Ordinal);
    }
}
