namespace Berth.Tests.Infrastructure;

/// <summary>
/// Commits built from raw tree objects (<c>git mktree</c>), for trees a normal `git add` would never
/// make: ".git" entries, submodule links without .gitmodules, one blob shared by a million paths.
/// </summary>
public static class RawTree
{
    /// <summary>Writes a blob into the work repository's object database and returns its id.</summary>
    public static async Task<string> BlobAsync(TestRepository repository, string content) =>
        (await TestGit.RunWithInputAsync(repository.WorkPath, content, "hash-object", "-w", "--stdin")).Trim();

    /// <summary>A tree of (mode, type, id, name) entries, e.g. ("100644", "blob", id, "compose.yaml").</summary>
    public static async Task<string> TreeAsync(TestRepository repository, params (string Mode, string Type, string Id, string Name)[] entries) =>
        (await TestGit.RunWithInputAsync(repository.WorkPath, string.Concat(entries.Select(entry => $"{entry.Mode} {entry.Type} {entry.Id}\t{entry.Name}\n")), "mktree", "--missing")).Trim();

    /// <summary>Commits <paramref name="treeId"/> as the new tip of main in the upstream repository and returns the commit id.</summary>
    public static async Task<string> PushAsTipAsync(TestRepository repository, string treeId, string message)
    {
        var commit = (await TestGit.RunAsync(repository.WorkPath, "commit-tree", treeId, "-m", message)).Trim();
        await TestGit.RunAsync(repository.WorkPath, "push", "--quiet", "--force", "origin", $"{commit}:refs/heads/main");
        return commit;
    }
}
