namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// The entries of an exported tree (berth's own directory), found without entering a symbolic link:
/// a link is an entry with a target, whether it points at a file or a directory. Enumerating with
/// <c>SearchOption.AllDirectories</c> would follow directory links, and two links to "." double the
/// paths at every level (a walk that never ends).
/// </summary>
internal sealed record SourceTree(
    SortedDictionary<string, string> Files,
    SortedDictionary<string, string> Links,
    SortedSet<string> Directories)
{
    /// <summary>Relative paths ('/'-separated) of files (with their full path), links (with their target) and directories.</summary>
    public static SourceTree Read(string root)
    {
        var tree = new SourceTree(
            new SortedDictionary<string, string>(StringComparer.Ordinal),
            new SortedDictionary<string, string>(StringComparer.Ordinal),
            new SortedSet<string>(StringComparer.Ordinal));
        Walk(new DirectoryInfo(root), "", tree);
        return tree;
    }

    private static void Walk(DirectoryInfo directory, string prefix, SourceTree tree)
    {
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            var relative = prefix.Length == 0 ? entry.Name : $"{prefix}/{entry.Name}";
            if (entry.LinkTarget is { } target)
            {
                tree.Links[relative] = target;
            }
            else if (entry is DirectoryInfo child)
            {
                tree.Directories.Add(relative);
                Walk(child, relative, tree);
            }
            else
            {
                tree.Files[relative] = entry.FullName;
            }
        }
    }
}
