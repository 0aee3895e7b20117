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
        try
        {
            var result = SopsFile.DecryptIfEncrypted(text, file, SopsFormat.Dotenv, ageKey);
            decryptedValues.AddRange(result.SecretValues);
            return (result.Text, result.WasEncrypted);
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
