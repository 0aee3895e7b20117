namespace Berth.Reconciler.Git;

/// <summary>
/// The exported trees of one source under one export root: the newest is kept and reused while the
/// branch tip stays where it is, so an idle pass costs no export at all; a tree refused by the
/// exporter stays refused without being written again.
/// </summary>
/// <remarks>
/// Only what this process exported is reused, never a directory found on disk: an earlier process may
/// have been killed while exporting or deleting one. So the first export into a root removes what
/// earlier processes left there (the exporter's <c>.partial-</c> directories of an export cut short,
/// and exports nobody deletes any more). An export root belongs to one process at a time (the state
/// directory lock, or a private temporary directory for a preview). Not thread-safe: the source
/// serialises its operations.
/// </remarks>
internal sealed class RevisionExports
{
    private readonly HashSet<string> cleanedRoots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Export> current = new(StringComparer.Ordinal);

    private sealed record Export(string CommitSha, string SubPath, TreeExportLimits Limits, string? Directory, GitError? Refusal);

    /// <summary>The names of exports this class creates: the commit's short sha and a random part.</summary>
    public static string NewName(string commitSha) => $"{commitSha[..12]}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Removes what earlier processes left in <paramref name="exportRoot"/>, once per root; returns the names removed.</summary>
    public IReadOnlyList<string> RemoveLeftovers(string exportRoot)
    {
        if (!cleanedRoots.Add(exportRoot) || !System.IO.Directory.Exists(exportRoot))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (var directory in new DirectoryInfo(exportRoot).EnumerateDirectories())
        {
            if (directory.LinkTarget is null && (TreeExporter.IsPartialExport(directory.Name) || IsExportName(directory.Name)))
            {
                directory.Delete(recursive: true);
                removed.Add(directory.Name);
            }
        }

        return removed;
    }

    /// <summary>The export (or refusal) of exactly this commit, sub-path and limits made earlier by this process, if its directory still exists.</summary>
    public bool TryReuse(string exportRoot, string commitSha, string subPath, TreeExportLimits limits, out string? directory, out GitError? refusal)
    {
        directory = null;
        refusal = null;
        if (!current.TryGetValue(exportRoot, out var export) || export.CommitSha != commitSha || export.SubPath != subPath || export.Limits != limits)
        {
            return false;
        }

        if (export.Refusal is not null)
        {
            refusal = export.Refusal;
            return true;
        }

        directory = export.Directory;
        return System.IO.Directory.Exists(directory);
    }

    /// <summary>Keeps a new export (or refusal) as the one to reuse and deletes the one it replaces.</summary>
    public void Remember(string exportRoot, string commitSha, string subPath, TreeExportLimits limits, string? directory, GitError? refusal)
    {
        if (current.TryGetValue(exportRoot, out var previous) && previous.Directory is { } old && old != directory && System.IO.Directory.Exists(old))
        {
            System.IO.Directory.Delete(old, recursive: true);
        }

        current[exportRoot] = new Export(commitSha, subPath, limits, directory, refusal);
    }

    private static bool IsExportName(string name) =>
        name.Length == 21 && name[12] == '-' && name.Where((character, index) => index != 12).All(char.IsAsciiHexDigitLower);
}
