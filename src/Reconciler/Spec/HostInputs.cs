using System.Security.Cryptography;

namespace Berth.Reconciler.Spec;

/// <summary>
/// What one desired-state load took from the host, outside the commit: host env files, secret and config
/// files under the host's secrets directory, where host paths really lead (the policy's bind and device
/// checks, the secrets directory's own links), the age key and the content key. Recorded while the load
/// runs, so that a later pass can tell from those alone whether loading the same commit again would give the
/// same result (<see cref="Reconciliation.DesiredStateCache"/>).
/// </summary>
/// <remarks>
/// <para>
/// Each input is taken as it is <em>before</em> the load uses it: a file that changes while the load reads it
/// then differs at the next check and is loaded again; the reverse (a cached result older than its record)
/// cannot happen.
/// </para>
/// <para>
/// Contents are kept as SHA-256 digests, never as bytes. The age key is kept by its signature (where the path's
/// links lead, the file's times, length and mode): berth never reads it itself (the age tool does). Only loads
/// without errors are kept, so a key that is swapped in place keeping its times and length (`cp -p` of a key of
/// the same length) can at worst go unnoticed while it decrypts the same commit to the same values.
/// </para>
/// <para>
/// Ambient (an <see cref="AsyncLocal{T}"/>) rather than passed through every reader: the readers sit deep
/// in the loader and the policy check, which know nothing of caching. The load is synchronous, so
/// everything it reads records into the recording that wraps it; outside a recording nothing is kept.
/// DesiredStateCacheTests changes every kind of input, since a reader that failed to record would let a pass reuse a stale load.
/// </para>
/// </remarks>
public sealed class HostInputs
{
    /// <summary>The largest host file the loader accepts: a host env file, a secret or config file.</summary>
    private static readonly int MaxFileBytes = Math.Max(FileLimits.EnvFileBytes, Secrets.Files.FileSourceOptions.MaxContentBytes);

    private static readonly AsyncLocal<HostInputs?> Recording = new();

    private readonly Lock gate = new();
    /// <summary>A set: the policy check resolves the same path once per bind, the recording keeps it once.</summary>
    private readonly HashSet<Input> inputs = [];

    private HostInputs()
    {
    }

    /// <summary>How many inputs were recorded.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return inputs.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="load"/> and says which host inputs it read.</summary>
    public static (T Result, HostInputs Inputs) Record<T>(Func<T> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var recording = new HostInputs();
        var outer = Recording.Value;
        Recording.Value = recording;
        try
        {
            return (load(), recording);
        }
        finally
        {
            Recording.Value = outer;
        }
    }

    /// <summary>Whether every recorded input is still as the load found it (each file read again, each link followed again).</summary>
    public bool Unchanged()
    {
        Input[] recorded;
        lock (gate)
        {
            recorded = [.. inputs];
        }

        return recorded.All(input => input.Unchanged());
    }

    /// <summary>A host file whose bytes the load uses (a host env file, a secret or config file): by its content.</summary>
    internal static void FileContent(string path)
    {
        if (Recording.Value is { } recording)
        {
            recording.Add(new ContentInput(path, ContentInput.Of(path)));
        }
    }

    /// <summary>A key file the load uses without its bytes being compared (the age key, the content key): by its signature.</summary>
    internal static void FileSignature(string path)
    {
        if (Recording.Value is { } recording)
        {
            recording.Add(new SignatureInput(path, SignatureInput.Of(path)));
        }
    }

    /// <summary>Where a host path led when the load followed its links (<see cref="Policy.HostPaths.Resolve"/>).</summary>
    internal static void ResolvedPath(string path, string? resolved)
    {
        if (Recording.Value is { } recording)
        {
            recording.Add(new ResolvedInput(path, resolved));
        }
    }

    private void Add(Input input)
    {
        lock (gate)
        {
            inputs.Add(input);
        }
    }

    private abstract record Input
    {
        public abstract bool Unchanged();
    }

    private sealed record ContentInput(string Path, string Digest) : Input
    {
        public override bool Unchanged() => Of(Path) == Digest;

        /// <summary>The file's SHA-256, "too large" past the largest host file the loader accepts, or why it could not be read.</summary>
        public static string Of(string path)
        {
            try
            {
                // Read as the loader reads it (its limit refuses a larger file before a byte is read). A file
                // over the limit fails the load, and a failed load is never kept: "too large" needs no digest.
                return LimitedFile.ReadBytes(path, MaxFileBytes).Bytes is { } bytes
                    ? Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan()))
                    : "too large";
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The kind of failure is enough: a file that appears, becomes readable or stops being a
                // directory reads differently next time.
                return exception.GetType().Name;
            }
        }
    }

    private sealed record SignatureInput(string Path, string Signature) : Input
    {
        public override bool Unchanged() => Of(Path) == Signature;

        /// <summary>Where the path's links lead, and that file's <see cref="Berth.Reconciler.FileSignature"/> and mode; "missing" when there is none.</summary>
        public static string Of(string path)
        {
            try
            {
                var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
                // The mode too: a chmod changes neither times nor length, and age refuses a key others may read.
                return Berth.Reconciler.FileSignature.Of(target) is { } signature
                    ? $"{target}|{signature.CreatedUtc.Ticks}|{signature.LastWriteUtc.Ticks}|{signature.Length}|{(OperatingSystem.IsWindows() ? 0 : (int)File.GetUnixFileMode(target))}"
                    : "missing";
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return exception.GetType().Name;
            }
        }
    }

    private sealed record ResolvedInput(string Path, string? Resolved) : Input
    {
        public override bool Unchanged() => Policy.HostPaths.ResolveUnrecorded(Path) == Resolved;
    }
}
