using System.Globalization;
using System.Text;

namespace Berth.Reconciler.Spec;

/// <summary>
/// How much of each kind of file the loader reads (docs/repository-format.md, "Limits"). A file over
/// its limit is refused from its length, before a byte is read: a commit (or a host env file) of a
/// gigabyte once threw an unhandled OutOfMemoryException, and a 49 MB env file of a million
/// variables cost 5.7 s and 795 MB per pass.
/// </summary>
internal static class FileLimits
{
    public const int ComposeFileBytes = 4 * 1024 * 1024;

    /// <summary>berth.yaml.</summary>
    public const int InventoryFileBytes = 4 * 1024 * 1024;

    /// <summary>
    /// A service's `env_file` and a host env file. A container's whole environment must fit in the
    /// kernel's limit for exec arguments (a quarter of the stack limit, 2 MiB by default) anyway.
    /// </summary>
    public const int EnvFileBytes = 1024 * 1024;

    /// <summary>Variables in one env file: real ones have dozens.</summary>
    public const int EnvFileVariables = 10_000;

    /// <summary>
    /// Bytes one host's load reads from the repository in all, a file read twice counting twice:
    /// the per-file limits alone let one 4 MiB Compose file list the same 1 MiB env file 500,000
    /// times. A host's stacks with their env files are well under a megabyte in practice.
    /// </summary>
    public const int BytesPerLoad = 64 * 1024 * 1024;

    /// <summary>"Compose file is larger than the 4 MiB limit (1073741824 bytes)".</summary>
    /// <param name="length">The file's length, when it is known (a pipe or device has none).</param>
    public static string TooLarge(string subject, int limit, long? length, string limitOf = "") =>
        $"{subject} is larger than the {limit / (1024 * 1024)} MiB limit{limitOf}"
        + (length is { } bytes ? $" ({bytes.ToString(CultureInfo.InvariantCulture)} bytes)" : "");

    /// <summary>"'a.env' would take what berth reads for this host past 64 MiB in all (...)".</summary>
    public static string OverReadBudget(string file) =>
        $"'{file}' would take what berth reads for this host past {BytesPerLoad / (1024 * 1024)} MiB in all (every env_file entry and Compose file counts each time it is read)";
}

/// <summary>A file's bytes read under a size limit: null when missing (<paramref name="IsMissing"/>) or too large.</summary>
internal readonly record struct LimitedBytes(System.Collections.Immutable.ImmutableArray<byte>? Bytes, bool IsMissing);

/// <summary>A file's text read under a size limit, or what stopped it.</summary>
/// <param name="Text">Null when the file does not exist, is too large, or is over the load's budget.</param>
/// <param name="Length">The file's length in bytes, if known (a pipe or device has none).</param>
/// <param name="IsOverReadBudget">Within its own limit, but past what the whole load may read (<see cref="FileLimits.BytesPerLoad"/>).</param>
internal readonly record struct LimitedText(string? Text, bool IsTooLarge, long? Length, bool IsOverReadBudget = false)
{
    public static LimitedText Missing => default;

    public static LimitedText Of(string text, long length) => new(text, false, length);

    public static LimitedText TooLarge(long? length) => new(null, true, length);

    public static LimitedText OverReadBudget(long length) => new(null, false, length, IsOverReadBudget: true);
}

/// <summary>Reads a file's text only when it fits a limit, never holding more than the limit in memory.</summary>
internal static class LimitedFile
{
    /// <summary>The bytes, or null when the file is longer than <paramref name="maxBytes"/> (secrets and configs: binary is fine).</summary>
    /// <exception cref="IOException">The file does not exist or cannot be read.</exception>
    public static LimitedBytes ReadBytes(string path, int maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > maxBytes)
        {
            return new LimitedBytes(null, IsMissing: false);
        }

        using var content = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1L - content.Length))) > 0)
        {
            content.Write(chunk, 0, read);
            if (content.Length > maxBytes)
            {
                return new LimitedBytes(null, IsMissing: false);
            }
        }

        return new LimitedBytes([.. content.ToArray()], IsMissing: false);
    }

    /// <summary>The text (UTF-8 unless a byte order mark says otherwise, as File.ReadAllText), or too large.</summary>
    /// <exception cref="IOException">The file does not exist or cannot be read.</exception>
    public static LimitedText ReadText(string path, int maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        // A regular file says its length: refuse it before reading. Pipes, devices and /proc files
        // report none (or 0): for them the read below stops one byte past the limit.
        var knownLength = stream.CanSeek ? stream.Length : (long?)null;
        if (knownLength > maxBytes)
        {
            return LimitedText.TooLarge(knownLength);
        }

        using var content = new MemoryStream((int)Math.Min(maxBytes, knownLength ?? 0) + 1);
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1L - content.Length))) > 0)
        {
            content.Write(chunk, 0, read);
            if (content.Length > maxBytes)
            {
                return LimitedText.TooLarge(null); // no length, or it grew while being read
            }
        }

        content.Position = 0;
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return LimitedText.Of(reader.ReadToEnd(), content.Length);
    }
}
