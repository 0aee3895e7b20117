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
        string real;
        try
        {
            real = RealPath(path);
        }
        catch (IOException unresolvable) when (unresolvable is not RepositoryEscapeException)
        {
            // A loop of links (ELOOP: "Too many levels of symbolic links"), found by the fault suite's
            // hostile repositories: once an exception out of the loader, now an error on the file.
            throw new RepositoryEscapeException(relativePath, "is a symbolic link that never resolves (a loop of links); berth reads only files inside the repository");
        }

        if (real != realRoot && !real.StartsWith(realRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new RepositoryEscapeException(relativePath);
        }

        return path;
    }

    /// <summary>The path with every symbolic link along it resolved (the parts that do not exist kept as written).</summary>
    private static string RealPath(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        foreach (var part in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.Exists && info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                current = RealPath(Path.GetFullPath(target.FullName));
            }
        }

        return current;
    }
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

/// <summary>
/// A repository file is a symbolic link that leads out of the repository. The loader turns it into a
/// <see cref="SpecError"/> on that file: an edit of the repository fixes it, a retry never does.
/// </summary>
internal sealed class RepositoryEscapeException(string relativePath, string explanation = RepositoryEscapeException.LeadsOut)
    : IOException($"'{relativePath}' {explanation}")
{
    public const string LeadsOut = "is a symbolic link that leads out of the repository; berth reads only files inside the repository (copy the file in, or link to a path inside it)";

    public string RelativePath { get; } = relativePath;

    /// <summary>What is wrong with the link, as the error on the file says it.</summary>
    public string Explanation { get; } = explanation;
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
