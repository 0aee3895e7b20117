using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Berth.Tests.Shared;

/// <summary>
/// A small SOPS encoder for tests: files encrypted to any set of age recipients, as `sops --encrypt`
/// writes them for flat dotenv, YAML and JSON files (data key encrypted with the real `age` binary,
/// values with AES-256-GCM and 32-byte nonces under their path, the SHA-512 MAC over the values in
/// order encrypted under lastmodified). Written apart from berth's decoder (its own GCM calls); the
/// decoder is proven against files made by the real sops (tests/Berth.Tests.Pure/Secrets/Sops/Fixtures),
/// and this encoder against the decoder.
/// </summary>
public static class SopsTestFiles
{
    private const string LastModified = "2026-12-04T12:00:00Z";

    /// <summary>A new age identity file in <paramref name="directory"/> (age-keygen makes it mode 0600) and its recipient.</summary>
    public static (string KeyFile, string Recipient) NewAgeKey(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var keyFile = Path.Combine(directory, name);
        Run("age-keygen", ["-o", keyFile], []);
        var recipient = Encoding.UTF8.GetString(Run("age-keygen", ["-y", keyFile], [])).Trim();
        return (keyFile, recipient);
    }

    public static string Dotenv(IReadOnlyList<(string Key, string Value)> values, params string[] recipients)
    {
        var (encrypted, metadata) = Encrypt(values, recipients);
        var text = new StringBuilder();
        foreach (var (key, value) in encrypted)
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        for (var index = 0; index < metadata.Age.Count; index++)
        {
            text.Append($"sops_age__list_{index}__map_enc=").Append(metadata.Age[index].Enc.Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            text.Append($"sops_age__list_{index}__map_recipient=").Append(metadata.Age[index].Recipient).Append('\n');
        }

        text.Append($"sops_lastmodified={LastModified}\nsops_mac={metadata.Mac}\nsops_unencrypted_suffix=_unencrypted\nsops_version=3.9.0\n");
        return text.ToString();
    }

    public static string Yaml(IReadOnlyList<(string Key, string Value)> values, params string[] recipients)
    {
        var (encrypted, metadata) = Encrypt(values, recipients);
        var text = new StringBuilder();
        foreach (var (key, value) in encrypted)
        {
            text.Append(key).Append(": ").Append(value).Append('\n');
        }

        text.Append("sops:\n  age:\n");
        foreach (var (recipient, enc) in metadata.Age)
        {
            text.Append("    - recipient: ").Append(recipient).Append("\n      enc: |\n");
            foreach (var line in enc.TrimEnd('\n').Split('\n'))
            {
                text.Append("        ").Append(line).Append('\n');
            }
        }

        text.Append($"  lastmodified: \"{LastModified}\"\n  mac: {metadata.Mac}\n  unencrypted_suffix: _unencrypted\n  version: 3.9.0\n");
        return text.ToString();
    }

    public static string Json(IReadOnlyList<(string Key, string Value)> values, params string[] recipients)
    {
        var (encrypted, metadata) = Encrypt(values, recipients);
        var document = new Dictionary<string, object>();
        foreach (var (key, value) in encrypted)
        {
            document[key] = value;
        }

        document["sops"] = new Dictionary<string, object>
        {
            ["age"] = metadata.Age.Select(stanza => new Dictionary<string, string> { ["recipient"] = stanza.Recipient, ["enc"] = stanza.Enc }).ToList(),
            ["lastmodified"] = LastModified,
            ["mac"] = metadata.Mac,
            ["unencrypted_suffix"] = "_unencrypted",
            ["version"] = "3.9.0",
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
    }

    private static (List<(string Key, string Value)> Values, (List<(string Recipient, string Enc)> Age, string Mac) Metadata) Encrypt(
        IReadOnlyList<(string Key, string Value)> values, string[] recipients)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        using var mac = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var encrypted = new List<(string, string)>();
        foreach (var (key, value) in values)
        {
            var plaintext = Encoding.UTF8.GetBytes(value);
            mac.AppendData(plaintext);
            encrypted.Add((key, value.Length == 0 ? "" : EncryptValue(plaintext, dataKey, key + ":")));
        }

        var macText = EncryptValue(Encoding.ASCII.GetBytes(Convert.ToHexString(mac.GetHashAndReset())), dataKey, LastModified);
        var age = recipients.Select(recipient => (recipient, Encoding.UTF8.GetString(Run("age", ["--armor", "--recipient", recipient], dataKey)))).ToList();
        return (encrypted, (age, macText));
    }

    public static string EncryptValue(byte[] plaintext, byte[] dataKey, string additionalData)
    {
        var iv = RandomNumberGenerator.GetBytes(32);
        var gcm = new GcmBlockCipher(new AesEngine());
        gcm.Init(true, new AeadParameters(new KeyParameter(dataKey), 128, iv, Encoding.UTF8.GetBytes(additionalData)));
        var output = new byte[gcm.GetOutputSize(plaintext.Length)];
        var length = gcm.ProcessBytes(plaintext, 0, plaintext.Length, output, 0);
        length += gcm.DoFinal(output, length);
        return $"ENC[AES256_GCM,data:{Convert.ToBase64String(output, 0, length - 16)},iv:{Convert.ToBase64String(iv)},tag:{Convert.ToBase64String(output, length - 16, 16)},type:str]";
    }

    private static byte[] Run(string program, string[] arguments, byte[] input)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        using var output = new MemoryStream();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(output);
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {error.Result}");
        }

        return output.ToArray();
    }
}
