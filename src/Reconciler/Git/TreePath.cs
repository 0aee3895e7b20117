namespace Berth.Reconciler.Git;

/// <summary>Path rules for what is read out of a commit's tree: nothing may point outside the export directory.</summary>
internal static class TreePath
{
    /// <summary>"" (the root) or segments joined by '/', none of them empty, "." or "..".</summary>
    public static bool IsValidSubPath(string? subPath)
    {
        if (subPath is null)
        {
            return false;
        }

        var trimmed = Normalize(subPath);
        return trimmed.Length == 0 || (!trimmed.StartsWith('/') && !trimmed.Contains('\\') && trimmed.Split('/').All(IsSafeEntryName));
    }

    /// <summary>The sub-path without leading "./" or trailing '/', as used for tree lookups.</summary>
    public static string Normalize(string subPath)
    {
        var trimmed = subPath.Trim();
        while (trimmed.StartsWith("./", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        return trimmed == "." ? "" : trimmed.TrimEnd('/');
    }

    /// <summary>
    /// A tree entry name that can be written as one file-system name. A crafted tree object can hold
    /// names git itself would never create ("..", "a/b"); those must not escape the export directory.
    /// </summary>
    public static bool IsSafeEntryName(string name) =>
        name.Length > 0 && name != "." && name != ".." && !name.Contains('/') && !name.Contains('\0') && !name.Contains('\\');

    /// <summary>
    /// ".git" in any letter case, as git's fsck (hasDotgit) and checkout refuse it on case-insensitive
    /// file systems too, and NTFS's equivalents (trailing dots or spaces, the short name "git~1").
    /// </summary>
    public static bool IsGitDirectoryName(string name)
    {
        var trimmed = name.TrimEnd('.', ' ');
        return trimmed.Equals(".git", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("git~1", StringComparison.OrdinalIgnoreCase);
    }
}
