using Berth.Reconciler.State;

namespace Berth.Tests.Cli;

/// <summary>One berth process changes a state directory at a time; the second is told who holds it.</summary>
public sealed class StateDirectoryLockTests : IDisposable
{
    private readonly string stateDirectory = Path.Combine(Path.GetTempPath(), "berth-lock-" + Guid.NewGuid().ToString("N")[..12]);

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => Shared.CliRunner.RunAsync(args);

    [Fact]
    public void Acquire_AlreadyHeld_FailsAtOnceNamingTheHolder_AndWorksAgainOnceReleased()
    {
        using (StateDirectoryLock.Acquire(stateDirectory, "berth daemon"))
        {
            var locked = Assert.Throws<StateDirectoryLockedException>(() => StateDirectoryLock.Acquire(stateDirectory, "berth apply"));
            Assert.Contains($"is in use by berth daemon (pid {Environment.ProcessId})", locked.Message, StringComparison.Ordinal);
        }

        using var again = StateDirectoryLock.Acquire(stateDirectory, "berth apply");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Acquire_LockAndOwnerFiles_AreOwnerOnly_AlsoWhenAnOlderBerthLeftThemReadable()
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Directory.CreateDirectory(stateDirectory);
        var lockPath = Path.Combine(stateDirectory, "berth.lock");
        foreach (var path in new[] { lockPath, lockPath + ".owner" })
        {
            File.WriteAllText(path, "");
            File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        using (StateDirectoryLock.Acquire(stateDirectory, "berth daemon"))
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(lockPath));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(lockPath + ".owner"));
        }

        Directory.Delete(stateDirectory, recursive: true);
        using var fresh = StateDirectoryLock.Acquire(stateDirectory, "berth apply");
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(lockPath));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(lockPath + ".owner"));
    }

    [Fact]
    public async Task ApplyGit_WhileTheDaemonHoldsTheStateDirectory_IsAClearErrorAndTouchesNothing()
    {
        using var daemon = StateDirectoryLock.Acquire(stateDirectory, "berth daemon");

        var (exitCode, _, stderr) = await RunAsync("--state-dir", stateDirectory, "apply", "--git", Path.Combine(stateDirectory, "nowhere.git"), "--host", "h");

        Assert.Equal(1, exitCode);
        Assert.Contains($"berth apply: the state directory {stateDirectory} is in use by berth daemon", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(stateDirectory, "git")));
    }

    [Fact]
    public async Task PlanFromADirectory_WhileLocked_StillReadsWithoutTheLock()
    {
        using var daemon = StateDirectoryLock.Acquire(stateDirectory, "berth daemon");

        var (_, _, stderr) = await RunAsync("--state-dir", stateDirectory, "--docker-host", "unix:///nonexistent/docker.sock", "plan", "--repo", Path.Combine(stateDirectory, "nope"), "--host", "h");

        Assert.DoesNotContain("is in use", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(stateDirectory))
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }
}
