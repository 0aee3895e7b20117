using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Berth.Reconciler.Secrets.Sops;

/// <summary>One value as SOPS stores it: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`.</summary>
internal sealed record SopsEncryptedValue(byte[] Data, byte[] Iv, byte[] Tag, string Type);

/// <summary>
/// SOPS's value cipher: AES-256-GCM under the file's data key, the additional data being the value's
/// path (`key:nested:`), so a value moved to another key fails to authenticate.
/// </summary>
/// <remarks>
/// GCM comes from BouncyCastle, not the BCL's AesGcm: SOPS uses 32-byte nonces and AesGcm accepts
/// only 12. Both are the standard GCM of NIST SP 800-38D (a longer nonce is hashed into the counter).
/// </remarks>
internal static partial class SopsValueCipher
{
    private const int TagBytes = 16;

    public static bool LooksEncrypted(string value) => value.StartsWith("ENC[AES256_GCM,", StringComparison.Ordinal);

    /// <summary>The parts of an ENC[...] value, or null when it is not one (the caller says where).</summary>
    public static SopsEncryptedValue? Parse(string value)
    {
        var match = EncryptedValue().Match(value);
        if (!match.Success)
        {
            return null;
        }

        try
        {
            return new SopsEncryptedValue(
                Convert.FromBase64String(match.Groups["data"].Value),
                Convert.FromBase64String(match.Groups["iv"].Value),
                Convert.FromBase64String(match.Groups["tag"].Value),
                match.Groups["type"].Value);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The plaintext bytes, or null when the value does not authenticate under this key and path.</summary>
    public static byte[]? Decrypt(SopsEncryptedValue value, byte[] dataKey, string additionalData)
    {
        if (value.Iv.Length == 0 || value.Tag.Length != TagBytes)
        {
            return null;
        }

        var gcm = Gcm(forEncryption: false, dataKey, value.Iv, additionalData);
        var input = new byte[value.Data.Length + value.Tag.Length];
        value.Data.CopyTo(input, 0);
        value.Tag.CopyTo(input, value.Data.Length);
        var output = new byte[gcm.GetOutputSize(input.Length)];
        try
        {
            var length = gcm.ProcessBytes(input, 0, input.Length, output, 0);
            length += gcm.DoFinal(output, length);
            return output[..length];
        }
        catch (InvalidCipherTextException)
        {
            return null;
        }
    }

    /// <summary>`ENC[AES256_GCM,...]` for <paramref name="plaintext"/>, with a fresh 32-byte nonce as SOPS makes them.</summary>
    public static string Encrypt(byte[] plaintext, string type, byte[] dataKey, string additionalData)
    {
        var iv = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var gcm = Gcm(forEncryption: true, dataKey, iv, additionalData);
        var output = new byte[gcm.GetOutputSize(plaintext.Length)];
        var length = gcm.ProcessBytes(plaintext, 0, plaintext.Length, output, 0);
        length += gcm.DoFinal(output, length);
        var data = output[..(length - TagBytes)];
        var tag = output[(length - TagBytes)..length];
        return $"ENC[AES256_GCM,data:{Convert.ToBase64String(data)},iv:{Convert.ToBase64String(iv)},tag:{Convert.ToBase64String(tag)},type:{type}]";
    }

    private static GcmBlockCipher Gcm(bool forEncryption, byte[] dataKey, byte[] iv, string additionalData)
    {
        var gcm = new GcmBlockCipher(new AesEngine());
        gcm.Init(forEncryption, new AeadParameters(new KeyParameter(dataKey), TagBytes * 8, iv, Encoding.UTF8.GetBytes(additionalData)));
        return gcm;
    }

    // As SOPS's own parser (aes/cipher.go): anchored at the start.
    [GeneratedRegex(@"^ENC\[AES256_GCM,data:(?<data>.+),iv:(?<iv>.+),tag:(?<tag>.+),type:(?<type>.+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex EncryptedValue();
}
