using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Reconciler.State;

/// <summary>Where a pass reads berth's record of the host and writes it back, once per pass (<see cref="StateStore"/>).</summary>
public interface IStateStore
{
    /// <summary>The record for <paramref name="host"/>; an empty one when there is none yet.</summary>
    Task<AppliedState> LoadAsync(string host, CancellationToken cancellationToken);

    /// <summary>Replaces the record atomically.</summary>
    Task SaveAsync(AppliedState state, CancellationToken cancellationToken);
}

/// <summary>
/// Reads and writes <see cref="AppliedState"/> as JSON in the state directory, one file per host
/// identity. Writes are atomic (temp file, fsync, rename) so a crash never leaves a torn record.
/// The record holds the applied spec with every environment value replaced by a keyed hash
/// (<see cref="StoredSecrets"/>, key in <see cref="StateKey"/>); a file written before that is read as
/// it is and rewritten at once without the values. Still, the directory berth creates is 0700 and every
/// state file 0600, whatever the umask (a `--state-dir ./.berth-state` in a checkout must not be
/// world-readable): names, images and commands are nobody else's business either.
/// </summary>
/// <remarks>
/// A state file that cannot be read as JSON (truncated by a full disk, corrupted, edited badly) is moved
/// aside to <c>state-HOST.json.corrupt-TIMESTAMP</c> (for the operator), reported (a warning in the log), and the host starts from an empty record (issue #20): everything in it but the failed-revision
/// holds and the history is rebuilt from what runs (config-hash labels) and from git, and a held revision
/// that fails again is held again. Failing every pass on it instead would leave the host unmanaged, and
/// the daemon's start reads the file too: throwing there is a crash loop under systemd.
/// <para>
/// The record read or written last is kept in memory, with the file's signature when it was (birth time,
/// modification time, length: <see cref="FileSignature"/>): a load finds the file as it was and returns it
/// without reading (issue #16: reading it again was 41 % of the daemon's idle pass). The daemon holds the
/// state directory's lock, so no other berth writes the file meanwhile; an edit by hand, or a copy put in
/// its place, changes the signature and is read.
/// </para>
/// </remarks>
public sealed class StateStore(string stateDirectory, ILogger? logger = null, TimeProvider? timeProvider = null) : IStateStore
{
    public string StateDirectory { get; } = stateDirectory;

    /// <summary>Loaded (or created) at the first write: a store that only reads creates no key.</summary>
    private readonly Lazy<StateKey> key = new(() => StateKey.LoadOrCreate(stateDirectory));

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates <paramref name="directory"/> (and missing parents) owner-only when it does not exist.
    /// An existing directory keeps its mode: the operator chose it (the package creates /var/lib/berth
    /// 0700); the state files inside are 0600 either way.
    /// </summary>
    public static void EnsureDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        File.SetUnixFileMode(directory, OwnerOnlyDirectory); // mkdir's mode is masked by the umask; this is not
    }

    public string PathFor(string host) => Path.Combine(StateDirectory, $"state-{host}.json");

    /// <summary>Per host: the record as the file holds it (its stored form), and the file's signature then.</summary>
    private readonly ConcurrentDictionary<string, KnownRecord> known = new(StringComparer.Ordinal);

    /// <param name="HashedWith">
    /// The secret values its strings were hashed against: none for a file read (a file from before berth
    /// hashed strings outside the environment can hold a value in a command), the write's own for a write.
    /// A write may keep its entries as they are only when it knows no other secret (StoredSecrets.ForStorage).
    /// </param>
    private sealed record KnownRecord(FileSignature Signature, AppliedState Stored, Spec.SecretValues HashedWith);

    /// <summary>Reads begun early (<see cref="BeginLoading"/>), each for the next load of its host to take.</summary>
    private readonly ConcurrentDictionary<string, Task<AppliedState?>> early = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts reading <paramref name="host"/>'s record now: `berth apply` and `plan` do, while the desired
    /// state loads from a directory (issue #16), and the pass's <see cref="LoadAsync"/> then takes that read,
    /// its record or its failure, instead of reading again. The early read only reads: a file that must be
    /// set aside (unreadable) or rewritten (values in the clear) is left to that load, so a command that
    /// stops before its pass (a commit that does not load) changes nothing, and nothing it began can write
    /// after it let go of the state directory's lock.
    /// </summary>
    public void BeginLoading(string host)
    {
        // Decoding the file begins before its first await: EarlyStart runs it on the thread pool from the start.
        early[host] = EarlyStart.Run(() => ReadAsync(host, readOnly: true, CancellationToken.None));
    }

    public async Task<AppliedState> LoadAsync(string host, CancellationToken cancellationToken)
    {
        if (early.TryRemove(host, out var begun) && await begun.WaitAsync(cancellationToken).ConfigureAwait(false) is { } taken)
        {
            return taken;
        }

        return (await ReadAsync(host, readOnly: false, cancellationToken).ConfigureAwait(false))!;
    }

    /// <param name="readOnly">Return null instead of setting the file aside or rewriting it.</param>
    private async Task<AppliedState?> ReadAsync(string host, bool readOnly, CancellationToken cancellationToken)
    {
        var path = PathFor(host);
        // Before the read: a write that lands during it leaves a signature that does not match, so it is read next time.
        if (FileSignature.Of(path) is not { } signature)
        {
            known.TryRemove(host, out _);
            return AppliedState.Empty(host);
        }

        if (known.TryGetValue(host, out var record) && record.Signature == signature)
        {
            return record.Stored;
        }

        known.TryRemove(host, out _);
        await using var stream = File.OpenRead(path);
        AppliedState? state;
        try
        {
            state = await JsonSerializer.DeserializeAsync(stream, StateJsonContext.Default.AppliedState, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException exception)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return readOnly ? null : SetAside(path, host, exception.Message);
        }

        if (state is null)
        {
            return AppliedState.Empty(host);
        }

        // A field a file does not have (written by an older berth, or edited by hand) reads as null or a
        // default array, which the next save could not write: start it empty instead.
        var empty = AppliedState.Empty(host);
        state = state with
        {
            Services = state.Services ?? empty.Services,
            FailedRevisions = state.FailedRevisions ?? empty.FailedRevisions,
            History = state.History.IsDefault ? empty.History : state.History,
        };

        if (StoredSecrets.HoldsPlainValues(state))
        {
            if (readOnly)
            {
                return null;
            }

            // Written by a berth that kept the values: rewrite it without them now, not at the end of the
            // next pass that gets a verdict. What was read is returned as it was (with the values, which a
            // rollback can use as they are).
            await stream.DisposeAsync().ConfigureAwait(false);
            await SaveAsync(state, cancellationToken).ConfigureAwait(false);
            return state;
        }

        known[host] = new KnownRecord(signature, state, Spec.SecretValues.None);
        return state;
    }

    private AppliedState SetAside(string path, string host, string error)
    {
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var kept = $"{path}.corrupt-{now:yyyyMMddTHHmmssfffZ}";
        File.Move(path, kept, overwrite: true);
        StateStoreLog.Recovered(logger ?? NullLogger.Instance, path, error, kept);
        return AppliedState.Empty(host);
    }

    public Task SaveAsync(AppliedState state, CancellationToken cancellationToken) =>
        Faults.FaultInjection.Active is { } faults
            ? faults.AroundAsync("state-write", state.Host, () => WriteAsync(state, cancellationToken))
            : WriteAsync(state, cancellationToken);

    private async Task WriteAsync(AppliedState state, CancellationToken cancellationToken)
    {
        // A read begun before this write would give back the record this write replaces.
        early.TryRemove(state.Host, out _);
        EnsureDirectory(StateDirectory);
        var path = PathFor(state.Host);
        var temporary = path + ".tmp";
        // Entries kept from the record last read or written are in their stored form already (StoredSecrets.ForStorage).
        // Not when the pass knows a secret they were not hashed against: a value that became a secret (moved
        // into sops, or in a file from before strings outside the environment were hashed) is hashed now.
        known.TryRemove(state.Host, out var previous);
        var alreadyStored = previous is not null && previous.HashedWith.Includes(state.Secrets) ? previous.Stored.Services : null;
        var stored = StoredSecrets.ForStorage(state, key.Value, alreadyStored);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        await using (var stream = new FileStream(temporary, options))
        {
            // A temp file left by a crash keeps the mode it was created with: set it before any byte is written.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnlyFile);
            }

            await JsonSerializer.SerializeAsync(stream, stored, StateJsonContext.Default.AppliedState, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        // The temporary file is complete and on disk; a crash here leaves it beside the old record
        // (the fault suite kills berth at this point: the next run must still read the old record).
        if (Faults.FaultInjection.Active is { } faults)
        {
            faults.Around("state-rename", state.Host, () => File.Move(temporary, path, overwrite: true));
        }
        else
        {
            File.Move(temporary, path, overwrite: true);
        }

        // What a read of the file gives back: the stored form, without the pass's secret values.
        if (FileSignature.Of(path) is { } signature)
        {
            known[state.Host] = new KnownRecord(signature, stored with { Secrets = Spec.SecretValues.None }, state.Secrets);
        }
    }
}

internal static partial class StateStoreLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning,
        Message = "The state file {Path} is unreadable ({Error}); moved aside to {Kept}; starting from what runs (failed-revision holds and history are lost)")]
    public static partial void Recovered(ILogger logger, string path, string error, string kept);
}
