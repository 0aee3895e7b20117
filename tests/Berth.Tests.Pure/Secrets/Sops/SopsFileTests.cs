using System.Text;
using Berth.Reconciler.Secrets.Sops;
using Berth.Tests.Shared;

namespace Berth.Tests.Secrets.Sops;

/// <summary>
/// SOPS decryption against files made by the real sops (Fixtures/), and the per-host round trip with
/// files encrypted to generated host keys. Uses the real `age` and `age-keygen` (Debian's age package).
/// </summary>
public sealed class SopsFileTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Secrets", "Sops", "Fixtures");
    private static readonly AgeKeyFile FixtureKey = new(Path.Combine(Fixtures, "age.txt"));
    private const string FixtureRecipient = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";

    private readonly string directory = Directory.CreateTempSubdirectory("berth-sops-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(Fixtures, name));

    [Fact]
    public void DecryptIfEncrypted_RealSopsDotenv_GivesTheDotenvSopsWouldPrint()
    {
        var result = SopsFile.DecryptIfEncrypted(Fixture("secret.env"), "secret.env", SopsFormat.Dotenv, FixtureKey);

        Assert.True(result.WasEncrypted);
        Assert.Equal("key=value", result.Text.Split('\n')[0]);
        Assert.DoesNotContain("sops_", result.Text, StringComparison.Ordinal);
        Assert.Equal(["value"], result.SecretValues);
    }

    [Fact]
    public void DecryptIfEncrypted_RealSopsYamlWithEncryptedRegex_DecryptsOnlyTheMatchingValues()
    {
        var result = SopsFile.DecryptIfEncrypted(Fixture("secret.yaml"), "secret.yaml", SopsFormat.Yaml, FixtureKey);

        Assert.Contains("key: \"value\"", result.Text, StringComparison.Ordinal);
        Assert.Contains("name: age", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("sops", result.Text, StringComparison.Ordinal);
        Assert.Equal(["value"], result.SecretValues);
    }

    [Fact]
    public void DecryptIfEncrypted_RealSopsBinary_GivesTheOriginalBytes()
    {
        var result = SopsFile.DecryptIfEncrypted(Fixture("file.txt"), "file.txt", SopsFormat.Binary, FixtureKey);

        Assert.Equal("value", Encoding.UTF8.GetString(result.Content).TrimEnd('\n'));
    }

    [Fact]
    public void DecryptIfEncrypted_PlainFile_ComesBackUnchanged()
    {
        var plain = Encoding.UTF8.GetBytes("A=1\nsops=not metadata\n");

        var result = SopsFile.DecryptIfEncrypted(plain, "a.env", SopsFormat.Dotenv, identity: null);

        Assert.False(result.WasEncrypted);
        Assert.Equal(plain, result.Content);
    }

    [Fact]
    public void DecryptIfEncrypted_ValueLeftInTheClearChanged_IsRefusedWithMacMismatch()
    {
        // metadata.name is outside encrypted_regex: only the MAC protects it.
        var tampered = Encoding.UTF8.GetString(Fixture("secret.yaml")).Replace("name: age", "name: evil", StringComparison.Ordinal);

        var error = Assert.Throws<SopsDecryptionException>(() => SopsFile.DecryptIfEncrypted(tampered, "secret.yaml", SopsFormat.Yaml, FixtureKey));

        Assert.Contains("MAC mismatch", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("secret.yaml:7:1: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecryptIfEncrypted_ValueRemoved_IsRefusedWithMacMismatch()
    {
        var (keyFile, recipient) = SopsTestFiles.NewAgeKey(directory, "host.key");
        var text = SopsTestFiles.Dotenv([("A", "first-secret"), ("B", "second-secret")], recipient);
        var withoutB = string.Join('\n', text.Split('\n').Where(line => !line.StartsWith("B=", StringComparison.Ordinal)));

        var error = Assert.Throws<SopsDecryptionException>(() => SopsFile.DecryptIfEncrypted(withoutB, "app.env", SopsFormat.Dotenv, new AgeKeyFile(keyFile)));

        Assert.Contains("MAC mismatch", error.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("first-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecryptIfEncrypted_EncryptedValueMovedToAnotherKey_IsRefusedAtItsLine()
    {
        var (keyFile, recipient) = SopsTestFiles.NewAgeKey(directory, "host.key");
        var lines = SopsTestFiles.Dotenv([("A", "first-secret"), ("B", "second-secret")], recipient).Split('\n');
        lines[1] = "B=" + lines[0]["A=".Length..];

        var error = Assert.Throws<SopsDecryptionException>(() => SopsFile.DecryptIfEncrypted(string.Join('\n', lines), "app.env", SopsFormat.Dotenv, new AgeKeyFile(keyFile)));

        Assert.Equal((2, 3), (error.Line, error.Column));
        Assert.Contains("the value of 'B' does not decrypt", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DecryptIfEncrypted_FileForAnotherHost_IsRefusedNamingItsRecipientsAndThisHostsKey()
    {
        var (_, hostA) = SopsTestFiles.NewAgeKey(directory, "a.key");
        var (keyFileB, hostB) = SopsTestFiles.NewAgeKey(directory, "b.key");
        var onlyForA = SopsTestFiles.Dotenv([("DB_PASSWORD", "only-for-host-a")], hostA);

        var error = Assert.Throws<SopsDecryptionException>(() => SopsFile.DecryptIfEncrypted(onlyForA, "stacks/db/secrets.env", SopsFormat.Dotenv, new AgeKeyFile(keyFileB)));

        Assert.Equal($"stacks/db/secrets.env:2:1: is encrypted to {hostA}; this host's key ({hostB}) is not among them (add it to the file's creation rule in .sops.yaml and run `sops updatekeys`)", error.Message);
        Assert.DoesNotContain("only-for-host-a", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dotenv")]
    [InlineData("yaml")]
    [InlineData("json")]
    public void DecryptIfEncrypted_FileForTwoHosts_EitherHostDecryptsIt(string format)
    {
        var (keyFileA, hostA) = SopsTestFiles.NewAgeKey(directory, "a.key");
        var (keyFileB, hostB) = SopsTestFiles.NewAgeKey(directory, "b.key");
        (string, string)[] values = [("API_TOKEN", "t0ken: with 'quotes' and $dollar"), ("EMPTY", ""), ("PORT", "5432")];
        var (text, expected) = format switch
        {
            "dotenv" => (SopsTestFiles.Dotenv(values, hostA, hostB), SopsFormat.Dotenv),
            "yaml" => (SopsTestFiles.Yaml(values, hostA, hostB), SopsFormat.Yaml),
            _ => (SopsTestFiles.Json(values, hostA, hostB), SopsFormat.Json),
        };

        foreach (var keyFile in new[] { keyFileA, keyFileB })
        {
            var result = SopsFile.DecryptIfEncrypted(text, "shared." + format, expected, new AgeKeyFile(keyFile));

            Assert.Contains("t0ken: with 'quotes' and $dollar", result.SecretValues);
            Assert.Contains("5432", result.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("ENC[", result.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DecryptIfEncrypted_NoKeyOnThisHost_SaysHowToConfigureOne()
    {
        var error = Assert.Throws<SopsDecryptionException>(() => SopsFile.DecryptIfEncrypted(Fixture("secret.env"), "secret.env", SopsFormat.Dotenv, identity: null));

        Assert.Contains($"encrypted to {FixtureRecipient}, and this host has no age key (set spec.ageKeyFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecryptIfEncrypted_RealSopsYamlParsedAsJsonExpected_StillDecryptsYaml()
    {
        // The caller's expectation only matters for JSON holding `data` alone; the content decides.
        var result = SopsFile.DecryptIfEncrypted(Fixture("secret.yaml"), "secret.yaml", SopsFormat.Json, FixtureKey);

        Assert.True(result.WasEncrypted);
    }

    [Fact]
    public void Recipients_KeyFileWithoutIdentity_IsAKeyError()
    {
        var empty = Path.Combine(directory, "empty.key");
        File.WriteAllText(empty, "# nothing here\n");

        var error = Assert.Throws<SopsKeyException>(() => new AgeKeyFile(empty).Recipients());

        Assert.Contains("holds no usable age identity", error.Message, StringComparison.Ordinal);
    }
}
