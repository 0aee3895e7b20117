using System.Text.RegularExpressions;

namespace Berth.Reconciler.Secrets.Sops;

/// <summary>One age recipient of a SOPS file and the data key encrypted to it (an armored age file).</summary>
internal sealed record AgeStanza(string Recipient, string EncryptedDataKey);

/// <summary>
/// The `sops` section of a file: who can open it, its MAC, and which values are encrypted. Read from a
/// flat map (dotenv stores it as `sops_age__list_0__map_recipient=...`; YAML and JSON are flattened to
/// the same keys), so that one reader serves every format.
/// </summary>
internal sealed partial record SopsMetadata(
    IReadOnlyList<AgeStanza> Age,
    IReadOnlyList<string> OtherKeyKinds,
    string? LastModified,
    string? Mac,
    string? UnencryptedSuffix,
    string? EncryptedSuffix,
    string? UnencryptedRegex,
    string? EncryptedRegex,
    bool MacOnlyEncrypted,
    IReadOnlyList<string> Unsupported)
{
    /// <summary>
    /// SOPS's constant (sha256 of "sops") that starts the MAC when only encrypted values are hashed,
    /// so that such a MAC never equals one over all values.
    /// </summary>
    public static readonly byte[] MacOnlyEncryptedInitialization = Convert.FromHexString("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69");

    private static readonly string[] KeyKinds = ["pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"];

    /// <summary>From flattened keys: `age__list_0__map_recipient`, `mac`, `encrypted_regex`, ...</summary>
    public static SopsMetadata FromFlat(IReadOnlyDictionary<string, string> flat)
    {
        var age = new SortedDictionary<int, (string? Recipient, string? Enc)>();
        var otherKinds = new SortedSet<string>(StringComparer.Ordinal);
        var unsupported = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in flat)
        {
            if (AgeEntry().Match(key) is { Success: true } entry)
            {
                var index = int.Parse(entry.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture);
                var current = age.GetValueOrDefault(index);
                age[index] = entry.Groups["field"].Value switch
                {
                    "recipient" => current with { Recipient = value },
                    "enc" => current with { Enc = value },
                    _ => current,
                };
            }
            else if (KeyKinds.FirstOrDefault(kind => key.StartsWith(kind + "__list_", StringComparison.Ordinal)) is { } kind)
            {
                otherKinds.Add(kind);
            }
            else if (key.StartsWith("key_groups", StringComparison.Ordinal))
            {
                unsupported.Add("key_groups (Shamir secret sharing)");
            }
            else if (key is "unencrypted_comment_regex" or "encrypted_comment_regex")
            {
                unsupported.Add(key);
            }
        }

        return new SopsMetadata(
            [.. age.Values.Where(stanza => stanza.Recipient is not null && stanza.Enc is not null).Select(stanza => new AgeStanza(stanza.Recipient!, stanza.Enc!))],
            [.. otherKinds],
            flat.GetValueOrDefault("lastmodified"),
            flat.GetValueOrDefault("mac"),
            NonEmpty(flat.GetValueOrDefault("unencrypted_suffix")),
            NonEmpty(flat.GetValueOrDefault("encrypted_suffix")),
            NonEmpty(flat.GetValueOrDefault("unencrypted_regex")),
            NonEmpty(flat.GetValueOrDefault("encrypted_regex")),
            string.Equals(flat.GetValueOrDefault("mac_only_encrypted"), "true", StringComparison.OrdinalIgnoreCase),
            [.. unsupported]);
    }

    /// <summary>Whether SOPS encrypted the value at <paramref name="path"/> (its shouldBeEncrypted, without the comment rules).</summary>
    public bool IsEncrypted(IReadOnlyList<string> path)
    {
        var encrypted = true;
        if (UnencryptedSuffix is { } unencryptedSuffix && path.Any(key => key.EndsWith(unencryptedSuffix, StringComparison.Ordinal)))
        {
            encrypted = false;
        }

        if (EncryptedSuffix is { } encryptedSuffix)
        {
            encrypted = path.Any(key => key.EndsWith(encryptedSuffix, StringComparison.Ordinal));
        }

        if (UnencryptedRegex is { } unencryptedRegex && path.Any(key => Regex.IsMatch(key, unencryptedRegex, RegexOptions.CultureInvariant)))
        {
            encrypted = false;
        }

        if (EncryptedRegex is { } encryptedRegex)
        {
            encrypted = path.Any(key => Regex.IsMatch(key, encryptedRegex, RegexOptions.CultureInvariant));
        }

        return encrypted;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    [GeneratedRegex(@"^age__list_(?<index>[0-9]+)__map_(?<field>[a-z_]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex AgeEntry();
}
