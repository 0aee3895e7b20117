namespace Berth.Reconciler.State;

/// <summary>
/// Files in the state directory are readable by berth's user only (0600), whatever the umask, as the
/// state file is (<see cref="StateStore"/>): the directory holds the state key and the API token, and
/// what else is there (the lock's owner, the live tree's manifest) says what runs and who runs it.
/// </summary>
internal static class OwnerOnlyFiles
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/>, 0600 before the first byte (also when it existed with another mode).</summary>
    public static void WriteAllText(string path, string contents)
    {
        using var stream = Open(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var writer = new StreamWriter(stream);
        writer.Write(contents);
    }

    /// <summary>Opens (or creates) <paramref name="path"/> with mode 0600; a file left by an older berth with another mode is tightened.</summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (OperatingSystem.IsWindows())
        {
            return new FileStream(path, options);
        }

        // The create mode is masked by the umask; setting it on the open handle is not.
        options.UnixCreateMode = Mode;
        var stream = new FileStream(path, options);
        try
        {
            File.SetUnixFileMode(stream.SafeFileHandle, Mode);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return stream;
    }
}
