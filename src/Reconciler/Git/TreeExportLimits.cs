namespace Berth.Reconciler.Git;

/// <summary>
/// How big a commit's tree (under <see cref="GitSourceOptions.SubPath"/>) may be before berth refuses
/// to export it. Git stores a tree by reference: a 68 KB commit built with <c>git mktree</c> (ten
/// entries per level, six levels, one shared blob) names a million files, and exporting them takes
/// minutes on every pass. A commit over a limit is refused like an invalid one
/// (<see cref="GitFailureReason.InvalidTree"/>: Stalled, what runs keeps running) with the limit it
/// broke; nothing is left on disk. The defaults are far above a repository of Compose files.
/// </summary>
public sealed record TreeExportLimits
{
    /// <summary>Files, directories and symbolic links together. Default 10,000; at least 1.</summary>
    public int MaxEntries { get; init; } = 10_000;

    /// <summary>The size of all files together, in bytes. Default 256 MiB; at least 1.</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How many directories deep an entry may be (a file at the top is at depth 1). Default 32; at least 1.</summary>
    public int MaxDepth { get; init; } = 32;

    public static TreeExportLimits Default { get; } = new();

    internal void Validate(GitSourceOptionsErrors errors)
    {
        if (MaxEntries < 1 || MaxBytes < 1 || MaxDepth < 1)
        {
            errors.Add("git.exportLimits", $"git.exportLimits must all be at least 1 (entries {MaxEntries}, bytes {MaxBytes}, depth {MaxDepth}).");
        }
    }
}
