namespace Berth.Reconciler.Spec;

/// <summary>The files of a desired-state repository, by repository-relative path ('/' separated).</summary>
/// <remarks>An interface so tests (and the fuzz test) can load from memory.</remarks>
internal interface IRepositoryFiles
{
    /// <summary>Absolute path of the repository on this host: relative bind mounts resolve against it.</summary>
    string RootPath { get; }

    bool Exists(string relativePath);

    /// <summary>
    /// The text; <see cref="LimitedText.Missing"/> if the file does not exist; too large, unread, if
    /// it is longer than <paramref name="maxBytes"/> (see <see cref="FileLimits"/>).
    /// </summary>
    LimitedText ReadText(string relativePath, int maxBytes);

    /// <summary>
    /// The bytes (Compose secrets and configs may be binary); missing or too large as <see cref="ReadText"/>.
    /// The default goes through the text, for in-memory test repositories.
    /// </summary>
    LimitedBytes ReadBytes(string relativePath, int maxBytes) =>
        ReadText(relativePath, maxBytes) is var read && read.Text is { } text
            ? new LimitedBytes([.. System.Text.Encoding.UTF8.GetBytes(text)], IsMissing: false)
            : new LimitedBytes(null, IsMissing: !read.IsTooLarge && !read.IsOverReadBudget);
}

internal sealed class DirectoryRepositoryFiles : IRepositoryFiles
{
    private readonly string readRoot;
    private readonly string realRoot;

    /// <param name="hostDirectory">
    /// Where these files will live when containers use them, if not where they are read from (a git
    /// commit is validated from a scratch export but runs from the stable live directory): relative
    /// bind sources and the default project name are taken from it. Default: <paramref name="directory"/>.
    /// </param>
    public DirectoryRepositoryFiles(string directory, string? hostDirectory = null)
    {
        readRoot = Path.GetFullPath(directory);
        if (!Directory.Exists(readRoot))
        {
            throw new DirectoryNotFoundException($"repository directory '{directory}' does not exist");
        }

        RootPath = Path.GetFullPath(hostDirectory ?? directory);
        realRoot = RealPath(readRoot);
    }

    public string RootPath { get; }

    public bool Exists(string relativePath) => File.Exists(InsideRepository(relativePath));

    public LimitedText ReadText(string relativePath, int maxBytes)
    {
        var path = InsideRepository(relativePath);
        return File.Exists(path) ? LimitedFile.ReadText(path, maxBytes) : LimitedText.Missing;
    }

    public LimitedBytes ReadBytes(string relativePath, int maxBytes)
    {
        var path = InsideRepository(relativePath);
        return File.Exists(path) ? LimitedFile.ReadBytes(path, maxBytes) : new LimitedBytes(null, IsMissing: true);
    }

    /// <summary>
    /// The real path of a repository file. A symbolic link leading out of the repository would make
    /// the desired state depend on (and error messages quote) the host's own files: refused.
    /// </summary>
    private string InsideRepository(string relativePath)
    {
        var path = Path.Combine(readRoot, relativePath);
        // The commit's own tree, fixed while the commit is (DesiredStateCache keys on it): not a host input.
        var real = Policy.HostPaths.ResolveUnrecorded(path);
        if (real is null)
        {
            throw new RepositoryEscapeException(relativePath, RepositoryEscape.Unfollowable);
        }

        if (!Policy.HostPaths.IsAtOrBelow(real, realRoot))
        {
            throw new RepositoryEscapeException(relativePath, RepositoryEscape.LeadsOut);
        }

        return path;
    }

    /// <summary>
    /// The path with every symbolic link along it resolved as the kernel would (the parts that do not
    /// exist kept as written). A path that cannot be followed (a link loop, an unreadable directory)
    /// resolves to nothing and so lies in no repository: refused like an escape, never a crash.
    /// </summary>
    private static string RealPath(string fullPath) => Policy.HostPaths.ResolveUnrecorded(fullPath) ?? "\0";
}

/// <summary>
/// The repository as one host's load sees it: every read draws on <see cref="FileLimits.BytesPerLoad"/>,
/// so that the same files referenced over and over cannot multiply the work of a load without bound.
/// </summary>
internal sealed class ReadBudgetRepositoryFiles(IRepositoryFiles files, long budget) : IRepositoryFiles
{
    private long remaining = budget;

    public string RootPath => files.RootPath;

    public bool Exists(string relativePath) => files.Exists(relativePath);

    public LimitedText ReadText(string relativePath, int maxBytes)
    {
        var read = files.ReadText(relativePath, (int)Math.Min(maxBytes, remaining));
        if (read.IsTooLarge && read.Length is { } length && length <= maxBytes)
        {
            // Refused only because the budget had less left than the file's own limit.
            return LimitedText.OverReadBudget(length);
        }

        remaining -= read.Text is null ? 0 : read.Length ?? 0;
        return read;
    }

    public LimitedBytes ReadBytes(string relativePath, int maxBytes)
    {
        var read = files.ReadBytes(relativePath, (int)Math.Min(maxBytes, remaining));
        remaining -= read.Bytes?.Length ?? 0;
        return read;
    }
}

internal enum RepositoryEscape
{
    /// <summary>A symbolic link along the path leads out of the repository.</summary>
    LeadsOut,

    /// <summary>The links along the path loop (or pass through an unreadable directory): the kernel would refuse it too.</summary>
    Unfollowable,
}

/// <summary>
/// A repository file is a symbolic link that leads out of the repository, or links that cannot be
/// followed. The loader turns it into a <see cref="SpecError"/> on that file: an edit of the repository
/// fixes it, a retry never does.
/// </summary>
internal sealed class RepositoryEscapeException(string relativePath, RepositoryEscape kind)
    : IOException($"'{relativePath}' {Describe(kind)}")
{
    public string RelativePath { get; } = relativePath;

    public RepositoryEscape Kind { get; } = kind;

    public static string Describe(RepositoryEscape kind) => kind == RepositoryEscape.LeadsOut
        ? "is a symbolic link that leads out of the repository"
        : "is a symbolic link that cannot be followed (a loop of links)";
}

/// <summary>Repository-relative path arithmetic that never leaves the repository.</summary>
internal static class RepositoryPath
{
    /// <summary>The directory part of a repository-relative file path ("" for the root).</summary>
    public static string DirectoryOf(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        return slash < 0 ? "" : relativePath[..slash];
    }

    /// <summary>
    /// <paramref name="path"/> relative to <paramref name="directory"/>, normalised; null when it is
    /// absolute or climbs out of the repository (a desired state must not depend on the host's files).
    /// </summary>
    public static string? Combine(string directory, string path)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.StartsWith('~') || path.Contains('\\', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        var parts = new List<string>(directory.Length == 0 ? [] : directory.Split('/'));
        foreach (var part in path.Split('/'))
        {
            switch (part)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (parts.Count == 0)
                    {
                        return null;
                    }

                    parts.RemoveAt(parts.Count - 1);
                    break;
                default:
                    parts.Add(part);
                    break;
            }
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }
}
