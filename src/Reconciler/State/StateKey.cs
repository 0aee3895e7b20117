using System.Security.Cryptography;
using System.Text;

namespace Berth.Reconciler.State;

/// <summary>
/// The host-local key that berth's state file hashes secret-bearing values with (HMAC-SHA256), so the
/// file records *that* a value was applied without holding it: a copy of the state file (a backup, a
/// bug report) gives nothing away, and without the key a short value cannot be guessed by hashing
/// candidates. 32 random bytes in <c>&lt;stateDir&gt;/state-key</c>, mode 0600, created on first use.
/// </summary>
public sealed class StateKey
{
    /// <summary>The file name inside the state directory.</summary>
    public const string FileName = "state-key";

    /// <summary>What a hashed value starts with in the state file.</summary>
    public const string HashPrefix = "hmac-sha256:";

    private readonly byte[] key;

    private StateKey(byte[] key) => this.key = key;

    /// <summary>The key of <paramref name="stateDirectory"/>, created (0600 from the first byte) when there is none.</summary>
    public static StateKey LoadOrCreate(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, FileName);
        if (File.Exists(path))
        {
            return FromFile(path);
        }

        StateStore.EnsureDirectory(stateDirectory);
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n"));
            stream.Flush(flushToDisk: true);
        }

        try
        {
            // Never over an existing key: two processes starting at once (daemon and CLI) agree on the first one written.
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }

        return FromFile(path);
    }

    private static StateKey FromFile(string path)
    {
        var text = File.ReadAllText(path).Trim();
        try
        {
            var bytes = Convert.FromHexString(text);
            if (bytes.Length >= 16)
            {
                return new StateKey(bytes);
            }
        }
        catch (FormatException)
        {
        }

        // Never print the content: it is the key.
        throw new InvalidDataException($"{path} is not a state key (64 hex digits); remove it and berth creates a new one (the state file's hashes then no longer match: the next pass re-records them)");
    }

    /// <summary><c>hmac-sha256:HEX</c> of <paramref name="value"/>.</summary>
    public string Hash(string value) =>
        HashPrefix + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(value)));

    /// <summary>Whether <paramref name="value"/> is a hash this class wrote (of any key).</summary>
    public static bool IsHash(string value) =>
        value.Length == HashPrefix.Length + 64
        && value.StartsWith(HashPrefix, StringComparison.Ordinal)
        && value.AsSpan(HashPrefix.Length).ContainsAnyExcept("0123456789abcdef") == false;

    public override string ToString() => "***";
}
