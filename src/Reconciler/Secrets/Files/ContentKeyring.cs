using System.Security.Cryptography;

namespace Berth.Reconciler.Secrets.Files;

/// <summary>
/// The host-local key the content of every Compose secret and config is hashed with (HMAC-SHA256), so a
/// changed content changes the service's config hash without the spec, the state file or a plan ever
/// holding the content or a plain hash of it (a plain SHA-256 of a short password is a brute-force away
/// from the password; without the key an HMAC is not).
/// </summary>
public sealed class ContentKeyring
{
    /// <summary>The key's file in the state directory (mode 0600).</summary>
    public const string KeyFileName = "content-hash.key";

    private const int KeyBytes = 32;
    private readonly Lazy<byte[]> key;

    private ContentKeyring(string source, Func<byte[]> key)
    {
        Source = source;
        this.key = new Lazy<byte[]>(key, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Where the key comes from: its file's path, or a name of its own for a key of this process only. Two keyrings of the same source hash alike.</summary>
    public string Source { get; }

    /// <summary>
    /// A key that lives only as long as this process: hashes made with it match only hashes of the same
    /// process (`berth validate`, tests). The daemon and `berth plan/apply` use <see cref="LoadOrCreate"/>.
    /// </summary>
    public static ContentKeyring Ephemeral()
    {
        var bytes = RandomNumberGenerator.GetBytes(KeyBytes);
        return new("ephemeral:" + Guid.NewGuid().ToString("N"), () => bytes);
    }

    /// <summary>
    /// The key in <paramref name="stateDirectory"/>, read (or created, 0600, atomically) at the first
    /// <see cref="Hash"/>: a host whose stacks have no secret or config never needs it.
    /// </summary>
    /// <remarks><see cref="Hash"/> throws IOException (or <see cref="InvalidDataException"/> for a file that is not a key) when it cannot be read or made.</remarks>
    public static ContentKeyring LoadOrCreate(string stateDirectory) => new(Path.GetFullPath(Path.Combine(stateDirectory, KeyFileName)), () =>
    {
        try
        {
            return ReadOrCreate(stateDirectory);
        }
        catch (UnauthorizedAccessException exception)
        {
            // An I/O failure for the loader (retried, not blamed on the commit), saying which file.
            throw new IOException($"cannot read or create the content key in '{stateDirectory}': permission denied (berth hashes secrets and configs with it)", exception);
        }
    });

    private static byte[] ReadOrCreate(string stateDirectory)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("berth runs on Linux");
        }

        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, KeyFileName);
        if (!File.Exists(path))
        {
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(RandomNumberGenerator.GetBytes(KeyBytes));
                stream.Flush(flushToDisk: true);
            }

            try
            {
                // No overwrite: a second process that created its key first wins, and both then read that one.
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        Spec.HostInputs.FileContent(path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != KeyBytes)
        {
            throw new InvalidDataException($"{path} is not a berth content key ({bytes.Length} bytes, expected {KeyBytes}); remove it to have a new one made (every service with secrets or configs is then re-created once)");
        }

        return bytes;
    }

    /// <summary>"hmac-sha256:" and the first 128 bits of the HMAC, hex.</summary>
    public string Hash(ReadOnlySpan<byte> content) =>
        "hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(key.Value, content))[..32];
}
