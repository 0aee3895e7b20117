using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// The text of a dotenv file in the repository, as every env-file reader needs it: within
/// <see cref="FileLimits.EnvFileBytes"/> and the load's read budget, SOPS-decrypted when it is encrypted.
/// One place, so that `env_file:`, the project's `.env` and an include's env files refuse alike.
/// </summary>
internal static class RepositoryEnvFile
{
    /// <summary>A file's readable text; <see cref="WasEncrypted"/> makes every value of it a secret.</summary>
    public readonly record struct Contents(string Text, bool WasEncrypted);

    /// <summary>
    /// The file's contents, or null when it cannot be used: each problem goes to <paramref name="report"/>
    /// (sized, budget; <paramref name="described"/> names the file in the message), a missing file only when
    /// <paramref name="missingMessage"/> is given, decryption problems to <paramref name="errors"/> at the file.
    /// </summary>
    public static Contents? Read(IRepositoryFiles files, string file, string described, string? missingMessage, Action<string> report, EncryptedFiles? encryptedFiles, ErrorCollector errors)
    {
        var read = files.ReadText(file, FileLimits.EnvFileBytes);
        if (read.IsTooLarge)
        {
            report(FileLimits.TooLarge(described, FileLimits.EnvFileBytes, read.Length, " for an env file"));
            return null;
        }

        if (read.IsOverReadBudget)
        {
            report(FileLimits.OverReadBudget(file));
            return null;
        }

        if (read.Text is not { } encryptedOrPlain)
        {
            if (missingMessage is not null)
            {
                report(missingMessage);
            }

            return null;
        }

        var (text, wasEncrypted) = (encryptedFiles ?? EncryptedFiles.None).Decrypt(file, encryptedOrPlain, errors);
        return text is null ? null : new Contents(text, wasEncrypted);
    }
}
