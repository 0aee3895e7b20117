using Berth.Reconciler.Secrets.Sops;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec;

/// <summary>
/// SOPS-encrypted env files, decrypted on read for one load (docs/secrets.md): a service's `env_file:`,
/// a stack's `.env` and the host's own env files. A file without SOPS metadata passes unchanged. What
/// was decrypted is remembered, so that the load masks those values out of every error it reports.
/// </summary>
internal sealed class EncryptedFiles(AgeKeyFile? ageKey)
{
    /// <summary>For a load that decrypts nothing (tests that build a stack directly): encrypted files are errors.</summary>
    public static EncryptedFiles None => new(null);

    private readonly List<string> decryptedValues = [];

    /// <summary>Every value decrypted so far in this load: secrets, for masking.</summary>
    public IReadOnlyList<string> DecryptedValues => decryptedValues;

    /// <summary>
    /// The file's plaintext (the text itself when it is not encrypted), or null when it is encrypted
    /// and cannot be decrypted here; the reason is then in <paramref name="errors"/>, at the file's
    /// line and column (never with a value).
    /// </summary>
    public (string? Text, bool WasEncrypted) Decrypt(string file, string text, ErrorCollector errors)
    {
        var (content, wasEncrypted) = Decrypt(file, () => SopsFile.DecryptIfEncrypted(text, file, SopsFormat.Dotenv, ageKey), errors);
        return (content is null ? null : wasEncrypted ? System.Text.Encoding.UTF8.GetString(content) : text, wasEncrypted);
    }

    /// <summary>
    /// For a file mounted into a container (Compose `secrets:`/`configs:` file sources): its bytes as
    /// the container should see them, decrypted when it is a SOPS file (a YAML, JSON or dotenv document
    /// as `sops --decrypt` prints it; a binary file as it was); null when it cannot be decrypted here
    /// (the error is in <paramref name="errors"/>). <paramref name="expected"/>: <see cref="SopsFormats.FromPath"/> of the file.
    /// </summary>
    public byte[]? DecryptFile(string file, byte[] content, SopsFormat expected, ErrorCollector errors) =>
        Decrypt(file, () => SopsFile.DecryptIfEncrypted(content, file, expected, ageKey), errors).Content;

    private (byte[]? Content, bool WasEncrypted) Decrypt(string file, Func<SopsDecryption> decrypt, ErrorCollector errors)
    {
        try
        {
            var result = decrypt();
            decryptedValues.AddRange(result.SecretValues);
            return (result.Content, result.WasEncrypted);
        }
        catch (SopsDecryptionException exception)
        {
            errors.Add(new Location(file, exception.Line, exception.Column), exception.Reason);
            return (null, true);
        }
        catch (SopsKeyException exception)
        {
            errors.Add(Location.StartOf(file), $"is a SOPS file, and this host's age key cannot be used: {exception.Message}");
            return (null, true);
        }
    }
}
