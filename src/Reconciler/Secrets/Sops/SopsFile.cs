using System.Security.Cryptography;
using System.Text;

namespace Berth.Reconciler.Secrets.Sops;

/// <summary>A file as the host sees it: decrypted when it was a SOPS file, as it was otherwise.</summary>
/// <param name="Content">The plaintext (as `sops --decrypt` writes it), or the original bytes.</param>
/// <param name="SecretValues">Every value that was encrypted, decrypted: to mask them wherever text is printed. Empty when nothing was encrypted.</param>
public sealed record SopsDecryption(byte[] Content, bool WasEncrypted, IReadOnlyList<string> SecretValues)
{
    public string Text => Encoding.UTF8.GetString(Content);
}

/// <summary>
/// The one entry point for SOPS files (docs/secrets.md): whoever reads a repository file that may be
/// encrypted (env files, a stack's `.env`, Compose `secrets:`/`configs:` sources) passes its bytes
/// here and gets the plaintext. A file without SOPS metadata comes back unchanged, so callers need no
/// check of their own.
/// </summary>
/// <remarks>
/// What is checked, in order, as `sops --decrypt` does: the file is encrypted to one of this host's age
/// recipients; age opens that data key; every encrypted value authenticates under its path; the MAC
/// over all values (in document order) matches the one stored, encrypted, in the file. Anything else
/// is a <see cref="SopsDecryptionException"/> naming the file (line and column where known) and never
/// a decrypted value.
/// </remarks>
public static class SopsFile
{
    /// <param name="path">The file's name for errors (repository-relative, or the host path).</param>
    /// <param name="expected">What the caller reads the file as; decides only whether a JSON file holding just `data` is binary.</param>
    /// <param name="identity">This host's age key; null when none is configured (then an encrypted file is an error saying so).</param>
    /// <exception cref="SopsDecryptionException">The file is a SOPS file that this host cannot or must not decrypt.</exception>
    /// <exception cref="SopsKeyException">This host's key file or the age tool cannot be used at all.</exception>
    public static SopsDecryption DecryptIfEncrypted(byte[] content, string path, SopsFormat expected, AgeKeyFile? identity)
    {
        var text = Encoding.UTF8.GetString(content);
        return Parse(path, text, expected) is { } tree
            ? Decrypt(tree, path, identity)
            : new SopsDecryption(content, false, []);
    }

    /// <summary>For a reader that already holds the file's text.</summary>
    public static SopsDecryption DecryptIfEncrypted(string text, string path, SopsFormat expected, AgeKeyFile? identity) =>
        Parse(path, text, expected) is { } tree
            ? Decrypt(tree, path, identity)
            : new SopsDecryption(Encoding.UTF8.GetBytes(text), false, []);

    private static SopsTree? Parse(string path, string text, SopsFormat expected)
    {
        if (SopsDotenvTree.Carries(text))
        {
            return SopsDotenvTree.Parse(path, text);
        }

        if (SopsJsonTree.Carries(text) is { } root)
        {
            return SopsJsonTree.Parse(root, binary: expected != SopsFormat.Json && SopsJsonTree.IsBinaryStore(root));
        }

        return SopsYamlTree.MayCarry(text) ? SopsYamlTree.Parse(path, text) : null;
    }

    private static SopsDecryption Decrypt(SopsTree tree, string path, AgeKeyFile? identity)
    {
        var metadata = tree.Metadata;
        SopsDecryptionException FileError(string reason) => new(path, tree.MetadataLine, 1, reason);

        if (metadata.Unsupported.Count > 0)
        {
            throw FileError($"is a SOPS file using {string.Join(", ", metadata.Unsupported)}, which berth does not support");
        }

        if (metadata.Age.Count == 0)
        {
            var kinds = metadata.OtherKeyKinds.Count > 0 ? string.Join(", ", metadata.OtherKeyKinds) : "no key at all";
            throw FileError($"is a SOPS file encrypted only to {kinds}; berth decrypts with age keys only (add this host's age recipient in .sops.yaml and run `sops updatekeys`)");
        }

        var fileRecipients = string.Join(", ", metadata.Age.Select(stanza => stanza.Recipient));
        if (identity is null)
        {
            throw FileError($"is a SOPS file encrypted to {fileRecipients}, and this host has no age key (set spec.ageKeyFile in the daemon's config, or --age-key / SOPS_AGE_KEY_FILE for the CLI)");
        }

        var hostRecipients = identity.Recipients();
        var openable = metadata.Age.Where(stanza => hostRecipients.Contains(stanza.Recipient, StringComparer.Ordinal)).ToList();
        if (openable.Count == 0)
        {
            throw FileError($"is encrypted to {fileRecipients}; this host's key ({string.Join(", ", hostRecipients)}) is not among them (add it to the file's creation rule in .sops.yaml and run `sops updatekeys`)");
        }

        byte[]? dataKey = null;
        var failures = new List<string>();
        foreach (var stanza in openable)
        {
            (dataKey, var error) = identity.DecryptDataKey(stanza.EncryptedDataKey);
            if (dataKey is not null)
            {
                break;
            }

            failures.Add($"{stanza.Recipient}: {error}");
        }

        if (dataKey is null)
        {
            throw FileError($"age could not open the data key encrypted to this host ({string.Join("; ", failures)})");
        }

        try
        {
            return DecryptValues(tree, path, dataKey, FileError);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static SopsDecryption DecryptValues(SopsTree tree, string path, byte[] dataKey, Func<string, SopsDecryptionException> fileError)
    {
        var metadata = tree.Metadata;
        if (metadata.Mac is not { Length: > 0 } storedMac || metadata.LastModified is not { Length: > 0 } lastModified)
        {
            throw fileError("is a SOPS file without a MAC or lastmodified; berth refuses a file whose integrity it cannot check");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        if (metadata.MacOnlyEncrypted)
        {
            hash.AppendData(SopsMetadata.MacOnlyEncryptedInitialization);
        }

        var secrets = new List<string>();
        foreach (var leaf in tree.Leaves)
        {
            var encrypted = metadata.IsEncrypted(leaf.Path);
            if (encrypted)
            {
                DecryptLeaf(leaf, path, dataKey);
                if (leaf.Plaintext is { Length: > 0 } plaintext)
                {
                    secrets.Add(Encoding.UTF8.GetString(plaintext));
                }
            }
            else
            {
                leaf.Plaintext = Encoding.UTF8.GetBytes(leaf.Text);
                leaf.PlainType = leaf.Kind switch
                {
                    SopsScalarKind.Integer => "int",
                    SopsScalarKind.Float => "float",
                    SopsScalarKind.Boolean => "bool",
                    _ => "str",
                };
            }

            if (!metadata.MacOnlyEncrypted || encrypted)
            {
                hash.AppendData(leaf.Plaintext!);
            }
        }

        var computedMac = Convert.ToHexString(hash.GetHashAndReset());
        var macValue = SopsValueCipher.Parse(storedMac);
        var decryptedMac = macValue is null ? null : SopsValueCipher.Decrypt(macValue, dataKey, lastModified);
        if (decryptedMac is null || !CryptographicOperations.FixedTimeEquals(decryptedMac, Encoding.ASCII.GetBytes(computedMac)))
        {
            throw fileError("MAC mismatch: the file's values do not match the MAC SOPS stored when it encrypted them; it was changed without sops (edit it with `sops`, or re-encrypt it)");
        }

        return new SopsDecryption(tree.Plaintext(), true, secrets);
    }

    private static void DecryptLeaf(SopsLeaf leaf, string path, byte[] dataKey)
    {
        var name = string.Join('.', leaf.Path);
        if (leaf.Text.Length == 0)
        {
            // SOPS leaves an empty string as it is.
            leaf.Plaintext = [];
            return;
        }

        if (SopsValueCipher.Parse(leaf.Text) is not { } value)
        {
            throw new SopsDecryptionException(path, leaf.Line, leaf.Column, $"the value of '{name}' is not encrypted, but the file's rules say it must be (was it edited without sops?)");
        }

        leaf.Plaintext = SopsValueCipher.Decrypt(value, dataKey, leaf.AdditionalData)
            ?? throw new SopsDecryptionException(path, leaf.Line, leaf.Column, $"the value of '{name}' does not decrypt with the file's data key under its path (was it changed or moved without sops?)");
        leaf.PlainType = value.Type;
        leaf.WasEncrypted = true;
    }
}
