using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// An image made by the test itself, layer by layer, for a registry (<see cref="LoopbackRegistry.PushLayersAsync"/>):
/// the host's static busybox (`sleep` and `sh`) in the first layer, then layers of random bytes. None of
/// its layers is on the engine before it is pulled (the bytes are new), so a pull of it downloads and
/// extracts every layer, as a pull of a real image does.
/// </summary>
public static class LayeredTestImage
{
    /// <summary>The gzip-compressed layer tars: busybox, then <paramref name="randomLayers"/> of <paramref name="bytesPerLayer"/> random bytes each.</summary>
    public static List<Layer> Build(int randomLayers, int bytesPerLayer)
    {
        List<Layer> layers = [Compress(BusyboxTar())];
        for (var index = 1; index <= randomLayers; index++)
        {
            layers.Add(Compress(Tar(writer =>
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, $"data/layer-{index}.bin")
                {
                    DataStream = new MemoryStream(RandomNumberGenerator.GetBytes(bytesPerLayer)),
                    Mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                };
                writer.WriteEntry(entry);
            })));
        }

        return layers;
    }

    private static byte[] BusyboxTar() => Tar(writer =>
    {
        const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = Executable });
        using var busybox = File.OpenRead("/bin/busybox");
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { DataStream = busybox, Mode = Executable });
        foreach (var applet in new[] { "sh", "sleep" })
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, $"bin/{applet}") { LinkName = "busybox" });
        }
    });

    private static byte[] Tar(Action<TarWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        return buffer.ToArray();
    }

    private static Layer Compress(byte[] tar)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar);
        }

        return new Layer(buffer.ToArray(), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)));
    }

    /// <param name="Compressed">The blob the registry serves (gzip).</param>
    /// <param name="DiffId">The digest of the uncompressed tar: what the image config lists.</param>
    public sealed record Layer(byte[] Compressed, string DiffId)
    {
        public string Digest => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Compressed));
    }
}
