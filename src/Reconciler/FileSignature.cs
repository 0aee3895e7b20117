namespace Berth.Reconciler;

/// <summary>
/// What tells a file changed without reading it, from one stat: a write replaces it (a rename: a new file,
/// whose birth time differs even when a copy kept the old modification time, `cp -p`), or changes its
/// modification time or length. The state record's cache (StateStore) and the age key's record
/// (Spec.HostInputs) both go by it.
/// </summary>
internal readonly record struct FileSignature(DateTime CreatedUtc, DateTime LastWriteUtc, long Length)
{
    /// <summary>The file's signature; null when it does not exist.</summary>
    public static FileSignature? Of(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? new FileSignature(file.CreationTimeUtc, file.LastWriteTimeUtc, file.Length) : null;
    }
}
