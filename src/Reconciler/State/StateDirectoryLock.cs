using System.Globalization;

namespace Berth.Reconciler.State;

/// <summary>
/// An advisory lock on a state directory (flock on `&lt;state-dir&gt;/berth.lock`), so two berth
/// processes (the daemon and a `berth apply`, or two applies) never change the same git mirror, live
/// directory and state file at once. The kernel drops it when the process dies: no stale lock.
/// </summary>
public sealed class StateDirectoryLock : IDisposable
{
    private readonly FileStream stream;

    private StateDirectoryLock(FileStream stream) => this.stream = stream;

    /// <param name="holder">Who takes it ("berth daemon", "berth apply"), named to the process that finds it taken.</param>
    /// <exception cref="StateDirectoryLockedException">Another process holds it; nothing waits.</exception>
    public static StateDirectoryLock Acquire(string stateDirectory, string holder)
    {
        // Owner-only when it does not exist yet: the state directory holds the state key and the API token (StateStore).
        StateStore.EnsureDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, "berth.lock");
        var ownerPath = path + ".owner";
        FileStream stream;
        try
        {
            // On Unix, .NET takes flock(LOCK_EX | LOCK_NB) for FileShare.None: advisory, per open file.
            // 0600 like every file in the state directory (OwnerOnlyFiles).
            stream = OwnerOnlyFiles.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var owner = File.Exists(ownerPath) ? File.ReadAllText(ownerPath).Trim() : "another berth process";
            throw new StateDirectoryLockedException(stateDirectory, owner);
        }

        // Beside the lock file, not in it: the locked file cannot be opened by the process that finds it taken.
        OwnerOnlyFiles.WriteAllText(ownerPath, $"{holder} (pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)})");
        return new StateDirectoryLock(stream);
    }

    public void Dispose() => stream.Dispose();
}

public sealed class StateDirectoryLockedException(string stateDirectory, string owner)
    : IOException($"the state directory {stateDirectory} is in use by {owner}; berth changes a state directory from one process at a time (with a daemon running, use `berth sync` to trigger a pass)")
{
}
