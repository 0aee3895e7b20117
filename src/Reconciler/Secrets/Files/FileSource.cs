using System.Collections.Immutable;
using System.Text;
using Berth.Reconciler.Spec;

namespace Berth.Reconciler.Secrets.Files;

/// <summary>Where the content of a Compose secret or config comes from.</summary>
internal abstract record FileSource
{
    /// <summary>`file: ./x` (relative to the Compose file): a file of the repository, by its repository-relative path.</summary>
    public sealed record Repository(string RelativePath) : FileSource;

    /// <summary>`file: /abs/path`: a file of the host, allowed only under the host's secrets directory.</summary>
    public sealed record Host(string AbsolutePath) : FileSource;

    /// <summary>`environment: NAME`: the value of a variable (host-local ones first, as for interpolation).</summary>
    public sealed record Variable(string Name, string Value) : FileSource;

    /// <summary>`content: ...` (configs only): the text written inline, interpolated.</summary>
    public sealed record Inline(string Text) : FileSource;
}

/// <summary>What host-local policy reading a secret or config needs.</summary>
/// <param name="HostDirectory">
/// The only host directory `file:` may name an absolute path under (default /etc/berth/secrets):
/// otherwise a commit could copy any file of the host (/etc/shadow) into a container.
/// </param>
/// <param name="Keyring">Hashes the contents (<see cref="ContentKeyring"/>).</param>
public sealed record FileSourceOptions(string HostDirectory, ContentKeyring Keyring)
{
    public const string DefaultHostDirectory = "/etc/berth/secrets";

    /// <summary>Most bytes one secret or config may have (1 MiB): they live in memory and on a tmpfs.</summary>
    public const int MaxContentBytes = 1024 * 1024;
}

/// <summary>The result of reading a source: the bytes, or why not (an error for the Compose file).</summary>
internal sealed record FileSourceRead(ImmutableArray<byte> Bytes, string? Error)
{
    public static FileSourceRead Failed(string error) => new([], error);

    /// <summary>Failed, and the reason is already among the load's errors (at the encrypted file's own line and column).</summary>
    public static readonly FileSourceRead FailedAndReported = new([], "") { AlreadyReported = true };

    public bool AlreadyReported { get; private init; }
}

/// <summary>
/// Reads the content of every Compose secret and config, whatever its source: the one place berth
/// reads those bytes, so decryption has one place to plug in.
/// </summary>
internal static class FileSources
{
    /// <param name="encryptedFiles">Decrypts a SOPS-encrypted file source; null: none is decrypted.</param>
    /// <param name="errors">Where a decryption failure is reported, at the encrypted file's line and column.</param>
    public static FileSourceRead Read(FileSource source, IRepositoryFiles files, FileSourceOptions options, EncryptedFiles? encryptedFiles = null, Spec.Yaml.ErrorCollector? errors = null)
    {
        var read = source switch
        {
            FileSource.Repository repository => ReadRepositoryFile(repository, files),
            FileSource.Host host => ReadHostFile(host, options),
            FileSource.Variable variable => new FileSourceRead([.. Encoding.UTF8.GetBytes(variable.Value)], null),
            FileSource.Inline inline => new FileSourceRead([.. Encoding.UTF8.GetBytes(inline.Text)], null),
            _ => throw new ArgumentOutOfRangeException(nameof(source)),
        };

        // A repository or host file may be SOPS-encrypted (one with SOPS metadata; others pass as they
        // are): decrypted here, the one place these bytes are read, so that every caller gets the
        // plaintext from this function only; it is then held in memory and written to the tmpfs alone.
        if (read.Error is null && encryptedFiles is not null && errors is not null
            && source is FileSource.Repository or FileSource.Host)
        {
            var path = source is FileSource.Repository repository ? repository.RelativePath : ((FileSource.Host)source).AbsolutePath;
            read = encryptedFiles.DecryptFile(path, [.. read.Bytes], Sops.SopsFormats.FromPath(path), errors) is { } plaintext
                ? new FileSourceRead([.. plaintext], null)
                : FileSourceRead.FailedAndReported;
        }

        if (read.Error is null && read.Bytes.Length > FileSourceOptions.MaxContentBytes)
        {
            return FileSourceRead.Failed($"is {read.Bytes.Length} bytes; a secret or config may have at most {FileSourceOptions.MaxContentBytes} bytes");
        }

        return read;
    }

    private static FileSourceRead ReadRepositoryFile(FileSource.Repository source, IRepositoryFiles files)
    {
        var read = files.ReadBytes(source.RelativePath, FileSourceOptions.MaxContentBytes);
        return read.Bytes is { } bytes ? new FileSourceRead(bytes, null)
            : read.IsMissing ? FileSourceRead.Failed($"file '{source.RelativePath}' does not exist in the repository")
            : FileSourceRead.Failed($"file '{source.RelativePath}' is larger than {FileSourceOptions.MaxContentBytes} bytes");
    }

    private static FileSourceRead ReadHostFile(FileSource.Host source, FileSourceOptions options)
    {
        // Both sides with their links resolved: a link inside the allowed directory that leads out of it
        // (or a '..' in the path) must not open the rest of the host.
        var allowed = RealPath(Path.GetFullPath(options.HostDirectory));
        var path = Path.GetFullPath(source.AbsolutePath);
        if (!Policy.HostPaths.IsStrictlyBelow(path, allowed) || !File.Exists(path) || !Policy.HostPaths.IsStrictlyBelow(RealPath(path), allowed))
        {
            // The same answer whether the file exists or not: a commit must not probe the host's files.
            return Policy.HostPaths.IsStrictlyBelow(path, allowed) && !File.Exists(path)
                ? FileSourceRead.Failed($"host file '{source.AbsolutePath}' does not exist")
                : FileSourceRead.Failed($"host file '{source.AbsolutePath}' is outside the host's secrets directory '{options.HostDirectory}': berth reads host files only from there (a commit must not copy any file of the host into a container); put the file there, or in the repository");
        }

        try
        {
            // Only here, past the boundary checks (their links are recorded by Resolve): a path outside the
            // secrets directory is never opened, not even to be recorded.
            HostInputs.FileContent(path);
            var read = LimitedFile.ReadBytes(path, FileSourceOptions.MaxContentBytes);
            return read.Bytes is { } bytes ? new FileSourceRead(bytes, null) : FileSourceRead.Failed($"host file '{source.AbsolutePath}' is larger than {FileSourceOptions.MaxContentBytes} bytes");
        }
        catch (UnauthorizedAccessException)
        {
            return FileSourceRead.Failed($"host file '{source.AbsolutePath}' cannot be read: permission denied");
        }
        catch (IOException exception)
        {
            return FileSourceRead.Failed($"host file '{source.AbsolutePath}' cannot be read: {exception.GetType().Name}");
        }
    }

    /// <summary>Every link along the path resolved as the kernel does (<see cref="Policy.HostPaths.Resolve"/>); a path that cannot be followed (a loop) matches nothing.</summary>
    private static string RealPath(string fullPath) => Policy.HostPaths.Resolve(fullPath) ?? "\0";
}
