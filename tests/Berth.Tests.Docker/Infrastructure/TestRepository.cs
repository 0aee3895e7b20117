namespace Berth.Tests.Infrastructure;

/// <summary>
/// A desired-state repository on disk for one test: a copy of examples/repo (or files written by the
/// test) where the host and stack names are replaced by the test's scope id, so it never touches the
/// example's own containers or another test's.
/// </summary>
public sealed class TestRepository : IDisposable
{
    private TestRepository(string directory) => Directory = directory;

    public string Directory { get; }

    public static TestRepository FromExample(string scopeId)
    {
        var repository = new TestRepository(Path.Combine(Path.GetTempPath(), "berth-repo-" + scopeId));
        var example = Path.Combine(RepositoryRoot(), "examples", "repo");
        foreach (var file in System.IO.Directory.EnumerateFiles(example, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(example, file).Replace("shop", scopeId, StringComparison.Ordinal);
            repository.Write(relative, File.ReadAllText(file).Replace("shop", scopeId, StringComparison.Ordinal).Replace("demo", scopeId, StringComparison.Ordinal));
        }

        return repository;
    }

    public static TestRepository Empty(string scopeId) => new(Path.Combine(Path.GetTempPath(), "berth-repo-" + scopeId));

    public void Write(string relativePath, string content)
    {
        var path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public string Read(string relativePath) => File.ReadAllText(Path.Combine(Directory, relativePath));

    /// <summary>The checkout this test runs from (walks up to Reconciler.sln).</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Reconciler.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
