namespace Berth.Reconciler.Secrets.Sops;

/// <summary>
/// A SOPS file that cannot be decrypted on this host: not encrypted to its key, tampered with, or
/// malformed. The message never holds a decrypted value or key material; it names the file and,
/// where one is known, the line and column of the value at fault.
/// </summary>
public sealed class SopsDecryptionException(string file, int line, int column, string reason)
    : Exception($"{file}:{line}:{column}: {reason}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>The message without the location, for an error list that prints the location itself.</summary>
    public string Reason { get; } = reason;
}
