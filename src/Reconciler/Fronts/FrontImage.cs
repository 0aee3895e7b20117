using System.Buffers.Binary;
using System.Formats.Tar;
using System.Security.Cryptography;
using Berth.Reconciler.Engine;

namespace Berth.Reconciler.Fronts;

/// <summary>What the front image needs from the engine (implemented in Engine/).</summary>
public interface IFrontImageStore
{
    /// <summary>Whether the engine has an image with this reference.</summary>
    Task<bool> HasImageAsync(string reference, CancellationToken cancellationToken);

    /// <summary>Imports a root filesystem tarball as <paramref name="repository"/>:<paramref name="tag"/> (<c>docker import</c>).</summary>
    /// <exception cref="ImageImportException">The engine reported the import failed.</exception>
    Task ImportImageAsync(string repository, string tag, Stream tarball, CancellationToken cancellationToken);
}

/// <summary>
/// The image a front runs: nothing but the host's static busybox, imported into the engine (hosts
/// often have no registry). The front's process only sleeps; the forwarding is the kernel's.
/// </summary>
public static class FrontImage
{
    public const string Repository = "berth/front";

    /// <summary>Debian's busybox-static puts it here; the dynamically linked busybox package cannot run in an empty image.</summary>
    public const string BusyboxPath = "/bin/busybox";

    public static readonly IReadOnlyList<string> Command = ["/bin/busybox", "sleep", "2147483647"];

    /// <summary>
    /// The front image's reference: the host's busybox, imported when the engine does not have an image
    /// made of exactly that busybox yet (hosts often have no registry).
    /// </summary>
    /// <exception cref="FrontRoutingException">No static busybox on the host, or the engine could not import it: the host's setup.</exception>
    public static async Task<string> EnsureAsync(IFrontImageStore images, CancellationToken cancellationToken, string busyboxPath = BusyboxPath)
    {
        var busybox = ReadHostBusybox(busyboxPath);
        var tag = Tag(busybox);
        var reference = $"{Repository}:{tag}";
        if (await images.HasImageAsync(reference, cancellationToken).ConfigureAwait(false))
        {
            return reference;
        }

        using var tarball = Tarball(busybox);
        try
        {
            await images.ImportImageAsync(Repository, tag, tarball, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageImportException exception)
        {
            throw new FrontRoutingException($"could not import the front image {reference}: {exception.EngineMessage}");
        }

        return reference;
    }

    /// <summary>The tag names the busybox it was made of, so a different busybox gives a new image (fronts keep theirs until re-created).</summary>
    public static string Tag(byte[] busybox) => "busybox-" + Convert.ToHexStringLower(SHA256.HashData(busybox))[..12];

    /// <summary>Reads the host's busybox and checks that it can run alone in an image.</summary>
    /// <exception cref="FrontRoutingException">Missing or dynamically linked.</exception>
    public static byte[] ReadHostBusybox(string path = BusyboxPath)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new FrontRoutingException($"x-berth.front needs a static busybox at {path} to build the front image ({exception.Message}); install busybox-static");
        }

        if (!IsStaticElf(content))
        {
            throw new FrontRoutingException($"x-berth.front needs a statically linked busybox at {path} (it runs alone in the front image); install busybox-static");
        }

        return content;
    }

    /// <summary>The image as `docker import` takes it: a tar with /bin/busybox, executable.</summary>
    public static MemoryStream Tarball(byte[] busybox)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox")
            {
                Mode = (UnixFileMode)0b111_101_101,
                DataStream = new MemoryStream(busybox, writable: false),
            });
        }

        stream.Position = 0;
        return stream;
    }

    /// <summary>A 64-bit little-endian ELF without a PT_INTERP program header (no dynamic loader needed).</summary>
    internal static bool IsStaticElf(ReadOnlySpan<byte> elf)
    {
        const int ProgramHeaderInterpreter = 3;
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            return false;
        }

        var headersAt = BinaryPrimitives.ReadUInt64LittleEndian(elf[0x20..]);
        var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x36..]);
        var headerCount = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x38..]);
        for (var index = 0; index < headerCount; index++)
        {
            var at = headersAt + ((ulong)index * headerSize);
            if (at + 4 > (ulong)elf.Length)
            {
                return false;
            }

            if (BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)at..]) == ProgramHeaderInterpreter)
            {
                return false;
            }
        }

        return true;
    }
}
