namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>The source tree the tests run from (the directory holding Reconciler.sln).</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Reconciler.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Reconciler.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The product version: &lt;VersionPrefix&gt; in Directory.Build.props, the one place it is set.</summary>
    public static string ProductVersion()
    {
        var props = File.ReadAllText(System.IO.Path.Combine(Path, "Directory.Build.props"));
        var match = System.Text.RegularExpressions.Regex.Match(props, "<VersionPrefix>([^<]+)</VersionPrefix>");
        return match.Success ? match.Groups[1].Value.Trim() : throw new InvalidOperationException("no <VersionPrefix> in Directory.Build.props");
    }
}
