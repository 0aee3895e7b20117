using System.Runtime.InteropServices;

namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// The few libc calls .NET has no equivalent for: everything relative to an open directory, and
/// nothing that follows a symbolic link (<c>openat</c> with <c>O_NOFOLLOW</c>, <c>fchmod</c> on the open
/// file, <c>renameat2</c>). .NET's <c>File</c> and <c>Directory</c> APIs take whole paths and follow
/// every link on the way, which is what a container that writes into the live directory can abuse.
/// </summary>
/// <remarks>Linux only (berth runs on Linux); the flag values differ between architectures.</remarks>
internal static partial class LibC
{
    private const string Library = "libc";

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    public const int AtEmptyPath = 0x1000;
    public const uint RenameNoReplace = 1;

    public const int ReadOnly = 0x0;
    public const int WriteOnly = 0x1;
    public const int Create = 0x40;
    public const int Exclusive = 0x80;
    public const int NoControllingTerminal = 0x100;
    public const int NonBlocking = 0x800;
    public const int CloseOnExec = 0x80000;

    // The generic Linux values (arm, arm64) differ from x86's for these two.
    public static readonly int Directory = IsArm ? 0x4000 : 0x10000;
    public static readonly int NoFollow = IsArm ? 0x8000 : 0x20000;

    public const int NoSuchEntry = 2;
    public const int Exists = 17;
    public const int NotADirectory = 20;
    public const int IsADirectory = 21;
    public const int NotEmpty = 39;
    public const int TooManyLinks = 40; // ELOOP: what O_NOFOLLOW answers when the last component is a link

    public const uint TypeMask = 0xF000;
    public const uint RegularFile = 0x8000;
    public const uint DirectoryType = 0x4000;
    public const uint SymbolicLinkType = 0xA000;

    private static bool IsArm => RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64;

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenAt(int directoryDescriptor, string path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);

    [LibraryImport(Library, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MakeDirectoryAt(int directoryDescriptor, string path, uint mode);

    [LibraryImport(Library, EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt(int oldDirectoryDescriptor, string oldPath, int newDirectoryDescriptor, string newPath, uint flags);

    [LibraryImport(Library, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(int directoryDescriptor, string path, int flags);

    [LibraryImport(Library, EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SymbolicLinkAt(string target, int directoryDescriptor, string linkPath);

    [LibraryImport(Library, EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ReadLinkAt(int directoryDescriptor, string path, byte[] buffer, nint size);

    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int ChangeModeOf(int descriptor, uint mode);

    [LibraryImport(Library, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int TruncateOf(int descriptor, long length);

    /// <summary>statx: one struct layout on every architecture, unlike stat.</summary>
    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int StatX(int directoryDescriptor, string path, int flags, uint mask, byte[] buffer);

    public const uint StatXType = 0x1;
    public const uint StatXMode = 0x2;
    public const uint StatXLinkCount = 0x4;
    public const int StatXBufferSize = 256;
    public const int StatXLinkCountOffset = 16;
    public const int StatXModeOffset = 28;

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int error) => Marshal.GetPInvokeErrorMessage(error);
}
