using Berth.Reconciler.Secrets.Sops;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Yaml;
using Berth.Tests.Shared;
using Berth.Tests.Spec;

namespace Berth.Tests.Secrets.Sops;

/// <summary>
/// SOPS files where the loader reads env files: decrypted transparently with this host's key, refused
/// at file:line:column on a host whose key the file is not encrypted to, values masked in errors.
/// </summary>
public sealed class EncryptedEnvFileLoadTests : IDisposable
{
    private const string Password = "s3cr3t-db-password";

    private readonly string directory = Directory.CreateTempSubdirectory("berth-sops-load-").FullName;
    private readonly (string KeyFile, string Recipient) hostA;
    private readonly (string KeyFile, string Recipient) hostB;

    public EncryptedEnvFileLoadTests()
    {
        hostA = SopsTestFiles.NewAgeKey(directory, "a.key");
        hostB = SopsTestFiles.NewAgeKey(directory, "b.key");
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static SpecLoadOptions KeyOf((string KeyFile, string Recipient) host) => new() { AgeKey = new AgeKeyFile(host.KeyFile) };

    private static SpecTestRepository Repository(string envFile) =>
        SpecTestRepository.Compose("name: app\nservices:\n  db:\n    image: db:1\n    env_file: secrets.env\n").With("secrets.env", envFile);

    [Fact]
    public void LoadHost_EnvFileEncryptedToThisHost_ContainerGetsTheDecryptedValues()
    {
        var repository = Repository(SopsTestFiles.Dotenv([("DB_PASSWORD", Password), ("DB_USER", "app")], hostA.Recipient));

        var result = repository.LoadHost(options: KeyOf(hostA));

        Assert.Empty(result.Errors);
        var environment = result.State!.Stacks[0].Services[0].Container.Environment;
        Assert.Equal((Password, "app"), (environment["DB_PASSWORD"], environment["DB_USER"]));
    }

    [Fact]
    public void LoadHost_EnvFileEncryptedToAnotherHost_IsAnErrorAtTheFileNamingBothKeys()
    {
        var repository = Repository(SopsTestFiles.Dotenv([("DB_PASSWORD", Password)], hostA.Recipient));

        var result = repository.LoadHost(options: KeyOf(hostB));

        var error = Assert.Single(result.Errors);
        Assert.Null(result.State);
        Assert.Equal(("secrets.env", 2, 1), (error.File, error.Line, error.Column));
        Assert.Equal($"is encrypted to {hostA.Recipient}; this host's key ({hostB.Recipient}) is not among them (add it to the file's creation rule in .sops.yaml and run `sops updatekeys`)", error.Message);
    }

    [Fact]
    public void LoadHost_EncryptedProjectDotEnv_InterpolatesWithTheDecryptedValue()
    {
        var repository = SpecTestRepository.Compose("name: app\nservices:\n  db:\n    image: db:1\n    environment:\n      PASSWORD: ${DB_PASSWORD}\n")
            .With(".env", SopsTestFiles.Dotenv([("DB_PASSWORD", Password)], hostA.Recipient, hostB.Recipient));

        var result = repository.LoadHost(options: KeyOf(hostB));

        Assert.Empty(result.Errors);
        Assert.Equal(Password, result.State!.Stacks[0].Services[0].Container.Environment["PASSWORD"]);
    }

    [Fact]
    public void LoadHost_DecryptedValueInAnError_IsMasked()
    {
        // The password ends up where Compose wants a number: the error must not print it.
        var repository = SpecTestRepository.Compose("name: app\nservices:\n  db:\n    image: db:1\n    stop_grace_period: ${DB_PASSWORD}\n")
            .With(".env", SopsTestFiles.Dotenv([("DB_PASSWORD", Password)], hostA.Recipient));

        var result = repository.LoadHost(options: KeyOf(hostA));

        Assert.NotEmpty(result.Errors);
        Assert.All(result.Errors, error => Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void LoadHost_EncryptedEnvFileWithoutAKey_SaysHowToConfigureOne()
    {
        var repository = Repository(SopsTestFiles.Dotenv([("DB_PASSWORD", Password)], hostA.Recipient));

        var error = Assert.Single(repository.LoadHost().Errors);

        Assert.Contains("this host has no age key (set spec.ageKeyFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadHost_EncryptedHostEnvFile_GivesHostLocalVariables()
    {
        var hostEnvFile = Path.Combine(directory, "host.env");
        File.WriteAllText(hostEnvFile, SopsTestFiles.Dotenv([("TAG", "7")], hostA.Recipient));
        var repository = SpecTestRepository.Compose("name: app\nservices:\n  db:\n    image: db:${TAG}\n");

        var result = repository.LoadHost(options: KeyOf(hostA) with { HostEnvFiles = [hostEnvFile] });

        Assert.Empty(result.Errors);
        Assert.Equal("db:7", result.State!.Stacks[0].Services[0].Container.Image);
    }

    [Fact]
    public void DecryptFile_YamlForAMount_GivesThePlainDocumentAndRemembersTheValuesForMasking()
    {
        // The entry point for Compose secrets:/configs: file sources.
        var encrypted = System.Text.Encoding.UTF8.GetBytes(SopsTestFiles.Yaml([("password", Password)], hostA.Recipient));
        var files = new EncryptedFiles(new AgeKeyFile(hostA.KeyFile));
        var errors = new ErrorCollector();

        var content = files.DecryptFile("db.yaml", encrypted, SopsFormats.FromPath("db.yaml"), errors);

        Assert.Empty(errors.ToSortedArray());
        Assert.Equal($"password: \"{Password}\"\n", System.Text.Encoding.UTF8.GetString(content!));
        Assert.Equal([Password], files.DecryptedValues);
    }

    [Fact]
    public void LoadHost_ComposeSecretFileEncryptedToThisHost_IsMountedDecrypted_AndRefusedOnAnotherHost()
    {
        var repository = SpecTestRepository.Compose("name: app\nservices:\n  db:\n    image: db:1\n    secrets: [db]\nsecrets:\n  db:\n    file: db.env\n")
            .With("db.env", SopsTestFiles.Dotenv([("PASSWORD", Password)], hostA.Recipient));

        var mounted = repository.LoadHost(options: KeyOf(hostA));
        var refused = repository.LoadHost(options: KeyOf(hostB));

        Assert.Empty(mounted.Errors);
        var secret = Assert.Single(mounted.State!.Stacks[0].Services[0].Container.Secrets);
        Assert.Equal($"PASSWORD={Password}\n", System.Text.Encoding.UTF8.GetString([.. secret.Content!.Bytes]));
        var error = Assert.Single(refused.Errors);
        Assert.Equal("db.env", error.File);
        Assert.StartsWith($"is encrypted to {hostA.Recipient}; this host's key ({hostB.Recipient}) is not among them", error.Message, StringComparison.Ordinal);
    }
}
