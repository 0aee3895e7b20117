using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Berth.Reconciler.Reconciliation;

/// <summary>What is at a path of the live directory, seen without following any link.</summary>
internal enum EntryKind
{
    Missing,
    File,
    Directory,
    SymbolicLink,

    /// <summary>A directory on the way is a symbolic link (or not a directory): nothing below it is looked at.</summary>
    LinkOnTheWay,

    /// <summary>A FIFO, socket or device node: never read or written.</summary>
    Other,
}

internal readonly record struct EntryInfo(EntryKind Kind, UnixFileMode Mode, uint LinkCount);

/// <summary>
/// A directory that others (containers with a bind mount of part of it) can write into at the same
/// time as berth, read and changed without ever following a symbolic link.
/// </summary>
/// <remarks>
/// Every operation opens the path one directory at a time from the root's handle with
/// <c>O_NOFOLLOW|O_DIRECTORY</c> and acts relative to the last directory's handle (<c>openat</c>,
/// <c>renameat2</c>, <c>unlinkat</c>, <c>fchmod</c> on the open file). A check followed by a write by path
/// is a race: a container can swap the checked file for a link in between and make berth write or
/// chmod any file on the host. Here there is no such gap: a link where a directory or file is
/// expected makes the call fail (<see cref="TreeMirrorConflictException"/>), whenever it appeared.
/// Paths are relative, '/'-separated, without "." or "..".
/// </remarks>
internal sealed class NoFollowDirectory : IDisposable
{
    /// <summary>
    /// 0755 for directories berth creates, whatever the process umask (0077 under the systemd unit):
    /// containers running as other users read bind mounts in them, as from a git checkout.
    /// </summary>
    internal const UnixFileMode SharedDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly int descriptor;
    private readonly string displayPath;
    private readonly string rootPath;

    private NoFollowDirectory(int descriptor, string displayPath, string rootPath)
    {
        this.descriptor = descriptor;
        this.displayPath = displayPath;
        this.rootPath = rootPath;
    }

    /// <summary>Opens <paramref name="path"/>, which must be a directory itself, not a link to one.</summary>
    public static NoFollowDirectory Open(string path)
    {
        var full = Path.GetFullPath(path);
        var opened = LibC.OpenAt(LibC.AtFdCwd, full, LibC.ReadOnly | LibC.Directory | LibC.NoFollow | LibC.CloseOnExec, 0);
        return opened >= 0 ? new NoFollowDirectory(opened, full, full) : throw Failure(full, "open", LibC.LastError);
    }

    public EntryInfo Inspect(string relative)
    {
        using var parent = OpenParent(relative, create: false, out var name, out var missing);
        return parent is not null ? parent.InspectChild(name) : new EntryInfo(missing ? EntryKind.Missing : EntryKind.LinkOnTheWay, 0, 0);
    }

    /// <summary>A regular file's content; null when the path holds no regular file (missing, a link, a directory).</summary>
    public byte[]? ReadFile(string relative)
    {
        using var parent = OpenParent(relative, create: false, out var name, out _);
        if (parent is null)
        {
            return null;
        }

        var opened = LibC.OpenAt(parent.descriptor, name, LibC.ReadOnly | LibC.NoFollow | LibC.NonBlocking | LibC.NoControllingTerminal | LibC.CloseOnExec, 0);
        if (opened < 0)
        {
            return null;
        }

        using var handle = new SafeFileHandle(opened, ownsHandle: true);
        if (Describe(opened, "").Kind != EntryKind.File)
        {
            return null;
        }

        var content = new byte[RandomAccess.GetLength(handle)];
        var read = 0;
        while (read < content.Length)
        {
            var count = RandomAccess.Read(handle, content.AsSpan(read), read);
            if (count == 0)
            {
                return content[..read];
            }

            read += count;
        }

        return content;
    }

    /// <summary>
    /// Puts <paramref name="content"/> at <paramref name="relative"/> with <paramref name="mode"/>. An
    /// existing regular file is rewritten in place through a handle opened with <c>O_NOFOLLOW</c> (same
    /// inode: a container with a single-file bind mount of it sees the new content); a missing one is
    /// written to a temporary file in the same directory and renamed into place, never replacing
    /// anything that appeared meanwhile. Missing directories on the way are created.
    /// </summary>
    /// <exception cref="TreeMirrorConflictException">A link, directory or special file is on the way or at the path.</exception>
    public void WriteFile(string relative, byte[] content, UnixFileMode mode)
    {
        using var parent = OpenParent(relative, create: true, out var name, out _) ?? throw LinkOnTheWay(relative);
        var opened = LibC.OpenAt(parent.descriptor, name, LibC.WriteOnly | LibC.NoFollow | LibC.NonBlocking | LibC.NoControllingTerminal | LibC.CloseOnExec, 0);
        if (opened < 0)
        {
            var error = LibC.LastError;
            if (error != LibC.NoSuchEntry)
            {
                throw Conflict(relative, error == LibC.TooManyLinks ? "a symbolic link is where the commit has a file" : $"cannot be opened for writing ({LibC.Describe(error)})");
            }

            parent.CreateByRename(name, relative, temporary => parent.WriteNewFile(temporary, content, mode));
            return;
        }

        using var handle = new SafeFileHandle(opened, ownsHandle: true);
        var info = Describe(opened, relative);
        // A hard link would make the write land in another path too (one a container chose).
        if (info.Kind != EntryKind.File || info.LinkCount != 1)
        {
            throw Conflict(relative, info.Kind == EntryKind.File ? "a file with more than one hard link is where the commit has a file" : "something other than a regular file is where the commit has a file");
        }

        Check(LibC.TruncateOf(opened, 0), relative, "truncate");
        RandomAccess.Write(handle, content, 0);
        Check(LibC.ChangeModeOf(opened, (uint)mode), relative, "chmod");
    }

    /// <summary>Creates (or with <paramref name="replace"/>, atomically replaces) a symbolic link; its target is stored, never followed.</summary>
    public void CreateSymbolicLink(string relative, string target, bool replace)
    {
        using var parent = OpenParent(relative, create: true, out var name, out _) ?? throw LinkOnTheWay(relative);
        parent.CreateByRename(name, relative, temporary =>
        {
            if (LibC.SymbolicLinkAt(target, parent.descriptor, temporary) != 0)
            {
                throw Failure(relative, "symlink", LibC.LastError);
            }
        }, replace);
    }

    public string? ReadSymbolicLink(string relative)
    {
        using var parent = OpenParent(relative, create: false, out var name, out _);
        if (parent is null)
        {
            return null;
        }

        var buffer = new byte[4096];
        var length = LibC.ReadLinkAt(parent.descriptor, name, buffer, buffer.Length);
        return length < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length);
    }

    /// <summary>Creates the directory (and those on the way) unless it exists; a link on the way is a conflict.</summary>
    public void CreateDirectory(string relative)
    {
        using var parent = OpenParent(relative, create: true, out var name, out _) ?? throw LinkOnTheWay(relative);
        using var created = parent.OpenChildDirectory(name, create: true) ?? throw Conflict(relative, "a symbolic link or a file is where the commit has a directory");
    }

    /// <summary>Removes a file or a link itself (never what it points to).</summary>
    public void DeleteEntry(string relative)
    {
        using var parent = OpenParent(relative, create: false, out var name, out _);
        if (parent is not null && LibC.UnlinkAt(parent.descriptor, name, 0) != 0 && LibC.LastError != LibC.NoSuchEntry)
        {
            throw Failure(relative, "unlink", LibC.LastError);
        }
    }

    /// <summary>Removes a directory if it is empty; false when it holds anything (a container's data) or is not a directory.</summary>
    public bool DeleteEmptyDirectory(string relative)
    {
        using var parent = OpenParent(relative, create: false, out var name, out _);
        return parent is not null && LibC.UnlinkAt(parent.descriptor, name, LibC.AtRemoveDir) == 0;
    }

    /// <summary>Entries of a directory (relative paths, deepest last), without entering links; empty when it is not a directory.</summary>
    public IReadOnlyList<(string Relative, EntryInfo Info)> ListRecursively(string relative)
    {
        var found = new List<(string, EntryInfo)>();
        using var parent = OpenParent(relative, create: false, out var name, out _);
        using var directory = parent?.OpenChildDirectory(name, create: false);
        directory?.Collect(relative, found);
        return found;
    }

    public void Dispose() => LibC.Close(descriptor);

    private void Collect(string prefix, List<(string, EntryInfo)> found)
    {
        // /proc/self/fd/N is this very directory, whatever happened to its path since it was opened.
        foreach (var entryPath in System.IO.Directory.EnumerateFileSystemEntries($"/proc/self/fd/{descriptor}"))
        {
            var name = Path.GetFileName(entryPath);
            var relative = prefix.Length == 0 ? name : $"{prefix}/{name}";
            var info = InspectChild(name);
            found.Add((relative, info));
            if (info.Kind == EntryKind.Directory)
            {
                using var child = OpenChildDirectory(name, create: false);
                child?.Collect(relative, found);
            }
        }
    }

    /// <summary>
    /// Opens the directory holding <paramref name="relative"/>'s last component; null when a directory
    /// on the way is <paramref name="missing"/>, a link or not a directory.
    /// </summary>
    private NoFollowDirectory? OpenParent(string relative, bool create, out string name, out bool missing)
    {
        var segments = relative.Split('/');
        name = segments[^1];
        missing = false;
        var current = new NoFollowDirectory(Duplicate(), displayPath, rootPath);
        foreach (var segment in segments[..^1])
        {
            var next = current.OpenChildDirectory(segment, create, out missing);
            current.Dispose();
            if (next is null)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    private int Duplicate()
    {
        var opened = LibC.OpenAt(descriptor, ".", LibC.ReadOnly | LibC.Directory | LibC.CloseOnExec, 0);
        return opened >= 0 ? opened : throw Failure(displayPath, "open", LibC.LastError);
    }

    private NoFollowDirectory? OpenChildDirectory(string name, bool create) => OpenChildDirectory(name, create, out _);

    /// <summary>Null when the entry is <paramref name="missing"/> (and not created), a link, or not a directory.</summary>
    private NoFollowDirectory? OpenChildDirectory(string name, bool create, out bool missing)
    {
        missing = false;
        var created = false;
        if (create)
        {
            created = LibC.MakeDirectoryAt(descriptor, name, (uint)SharedDirectoryMode) == 0;
            if (!created && LibC.LastError != LibC.Exists)
            {
                throw Failure(Path.Combine(displayPath, name), "mkdir", LibC.LastError);
            }
        }

        var opened = LibC.OpenAt(descriptor, name, LibC.ReadOnly | LibC.Directory | LibC.NoFollow | LibC.CloseOnExec, 0);
        if (opened >= 0)
        {
            // mkdirat applied the umask; an existing directory keeps its mode (a container may have
            // narrowed its data directory on purpose).
            if (created && LibC.ChangeModeOf(opened, (uint)SharedDirectoryMode) != 0)
            {
                var chmodError = LibC.LastError;
                LibC.Close(opened);
                throw Failure(Path.Combine(displayPath, name), "chmod", chmodError);
            }

            return new NoFollowDirectory(opened, Path.Combine(displayPath, name), rootPath);
        }

        var error = LibC.LastError;
        missing = error == LibC.NoSuchEntry;
        return error is LibC.NoSuchEntry or LibC.TooManyLinks or LibC.NotADirectory ? null : throw Failure(Path.Combine(displayPath, name), "open", error);
    }

    private EntryInfo InspectChild(string name)
    {
        var buffer = new byte[LibC.StatXBufferSize];
        if (LibC.StatX(descriptor, name, LibC.AtSymlinkNoFollow, LibC.StatXType | LibC.StatXMode | LibC.StatXLinkCount, buffer) != 0)
        {
            var error = LibC.LastError;
            return error is LibC.NoSuchEntry ? new EntryInfo(EntryKind.Missing, 0, 0)
                : error is LibC.NotADirectory or LibC.TooManyLinks ? new EntryInfo(EntryKind.LinkOnTheWay, 0, 0)
                : throw Failure(Path.Combine(displayPath, name), "statx", error);
        }

        return ToInfo(buffer);
    }

    private static EntryInfo Describe(int openDescriptor, string relative)
    {
        var buffer = new byte[LibC.StatXBufferSize];
        if (LibC.StatX(openDescriptor, "", LibC.AtEmptyPath, LibC.StatXType | LibC.StatXMode | LibC.StatXLinkCount, buffer) != 0)
        {
            throw Failure(relative, "statx", LibC.LastError);
        }

        return ToInfo(buffer);
    }

    private static EntryInfo ToInfo(byte[] buffer)
    {
        var mode = (uint)BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(LibC.StatXModeOffset));
        var links = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(LibC.StatXLinkCountOffset));
        var kind = (mode & LibC.TypeMask) switch
        {
            LibC.RegularFile => EntryKind.File,
            LibC.DirectoryType => EntryKind.Directory,
            LibC.SymbolicLinkType => EntryKind.SymbolicLink,
            _ => EntryKind.Other,
        };
        return new EntryInfo(kind, (UnixFileMode)(mode & 0xFFF), links);
    }

    private void WriteNewFile(string temporary, byte[] content, UnixFileMode mode)
    {
        // O_EXCL|O_CREAT never follows a link: a name taken meanwhile fails instead.
        var opened = LibC.OpenAt(descriptor, temporary, LibC.WriteOnly | LibC.Create | LibC.Exclusive | LibC.NoFollow | LibC.CloseOnExec, 0b110_000_000);
        if (opened < 0)
        {
            throw Failure(temporary, "create", LibC.LastError);
        }

        using var handle = new SafeFileHandle(opened, ownsHandle: true);
        RandomAccess.Write(handle, content, 0);
        Check(LibC.ChangeModeOf(opened, (uint)mode), temporary, "chmod");
    }

    /// <summary>
    /// Writes under a temporary name, then renames: a container never sees a half-written file, and
    /// without <paramref name="replace"/> whatever appeared at the name meanwhile (a container's file or
    /// link) is kept and the write refused (<c>RENAME_NOREPLACE</c>).
    /// </summary>
    private void CreateByRename(string name, string relative, Action<string> writeTemporary, bool replace = false)
    {
        var temporary = $".{name}.berth-{Guid.NewGuid().ToString("N")[..8]}.tmp";
        try
        {
            writeTemporary(temporary);
            if (LibC.RenameAt(descriptor, temporary, descriptor, name, replace ? 0 : LibC.RenameNoReplace) != 0)
            {
                var error = LibC.LastError;
                throw error is LibC.Exists or LibC.IsADirectory or LibC.NotEmpty
                    ? Conflict(relative, "something appeared where the commit has a new entry while berth wrote it")
                    : Failure(relative, "rename", error);
            }
        }
        catch
        {
            LibC.UnlinkAt(descriptor, temporary, 0);
            throw;
        }
    }

    private static void Check(int result, string relative, string operation)
    {
        if (result != 0)
        {
            throw Failure(relative, operation, LibC.LastError);
        }
    }

    private TreeMirrorConflictException LinkOnTheWay(string relative) =>
        Conflict(relative, "a symbolic link (or a file) is on the way where the commit has a directory");

    private TreeMirrorConflictException Conflict(string relative, string why) => new(rootPath, [$"{relative}: {why}"]);

    private static IOException Failure(string path, string operation, int error) => new($"{operation} {path}: {LibC.Describe(error)}");
}
