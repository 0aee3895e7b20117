namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>
/// The desired-state repository "served from the host": a bare repository in a temporary directory,
/// bind-mounted into the systemd container at <see cref="ContainerPath"/> (berth reads it as a local
/// path, like any file:// remote), seeded with examples/repo plus an inventory entry for the test's host.
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

    /// <summary>Creates the repository with examples/repo and <paramref name="hostName"/> added to its inventory (role: app).</summary>
    public static async Task<DesiredStateRepository> CreateAsync(string hostName)
    {
        var repository = new DesiredStateRepository(Directory.CreateTempSubdirectory("berth-systemd-repo-").FullName);
        await repository.GitAsync(repository.Root, "init", "--quiet", "--bare", "--initial-branch", Branch, repository.BarePath);
        CopyDirectory(Path.Combine(RepositoryRoot.Path, "examples/repo"), repository.WorkPath);
        await repository.GitAsync(repository.WorkPath, "init", "--quiet", "--initial-branch", Branch);
        var inventory = Path.Combine(repository.WorkPath, "berth.yaml");
        var text = await File.ReadAllTextAsync(inventory);
        // The test's host gets the example stack through its selector (role: app), like the demo host.
        text = text.Replace("hosts:\n", $"hosts:\n  {hostName}:\n    labels: {{ role: app, env: test }}\n    vars:\n      WEB_GREETING: hello from {hostName}\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(inventory, text);
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

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
