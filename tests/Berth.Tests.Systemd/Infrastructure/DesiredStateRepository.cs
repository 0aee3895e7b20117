namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>
/// The desired-state repository "served from the host": a bare repository in a temporary directory,
/// bind-mounted into the systemd container at <see cref="ContainerPath"/> (berth reads it as a local
/// path, like any file:// remote), seeded with examples/repo made unique to the test (as the Docker
/// tests' TestRepository does): the stack "shop" and the host "demo" are renamed to the test's scope id,
/// so the containers berth creates on the shared engine cannot collide with anyone else's.
/// </summary>
public sealed class DesiredStateRepository : IDisposable
{
    public const string ContainerPath = "/srv/berth/desired.git";
    public const string Branch = "main";

    private static readonly TimeSpan GitTimeout = TimeSpan.FromSeconds(60);

    private DesiredStateRepository(string root)
    {
        Root = root;
    }

    public string Root { get; }

    /// <summary>The bare repository on the host (what the container mounts).</summary>
    public string BarePath => Path.Combine(Root, "desired.git");

    private string WorkPath => Path.Combine(Root, "work");

    /// <summary>Creates the repository from examples/repo with stack and host renamed to <paramref name="hostName"/>.</summary>
    public static async Task<DesiredStateRepository> CreateAsync(string hostName)
    {
        var repository = new DesiredStateRepository(Directory.CreateTempSubdirectory("berth-systemd-repo-").FullName);
        await repository.GitAsync(repository.Root, "init", "--quiet", "--bare", "--initial-branch", Branch, repository.BarePath);
        CopyExample(Path.Combine(RepositoryRoot.Path, "examples/repo"), repository.WorkPath, hostName);
        await repository.GitAsync(repository.WorkPath, "init", "--quiet", "--initial-branch", Branch);
        await repository.CommitAndPushAsync("example stack for the systemd test");
        return repository;
    }

    /// <summary>Edits a file of the working copy, commits and pushes; returns the new commit id.</summary>
    public async Task<string> CommitAsync(string relativePath, Func<string, string> edit, string message)
    {
        var file = Path.Combine(WorkPath, relativePath);
        await File.WriteAllTextAsync(file, edit(await File.ReadAllTextAsync(file)));
        return await CommitAndPushAsync(message);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private async Task<string> CommitAndPushAsync(string message)
    {
        await GitAsync(WorkPath, "add", "--all");
        await GitAsync(WorkPath, "-c", "user.name=berth test", "-c", "user.email=test@berth.invalid", "commit", "--quiet", "-m", message);
        await GitAsync(WorkPath, "push", "--quiet", BarePath, $"HEAD:refs/heads/{Branch}");
        return (await GitAsync(WorkPath, "rev-parse", "HEAD")).Stdout.Trim();
    }

    private Task<CommandResult> GitAsync(string directory, params string[] arguments) =>
        Command.CheckedAsync("git", arguments, GitTimeout, workingDirectory: directory);

    private static void CopyExample(string from, string to, string scopeId)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file).Replace("shop", scopeId, StringComparison.Ordinal));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, File.ReadAllText(file)
                .Replace("shop", scopeId, StringComparison.Ordinal)
                .Replace("demo", scopeId, StringComparison.Ordinal));
        }
    }
}
