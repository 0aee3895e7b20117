using System.Diagnostics;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// A real git repository the daemon follows: a bare repository (the "server", reached by path) and a
/// working clone the test commits and pushes from, with the system git.
/// </summary>
public sealed class GitRepository : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "berth-git-" + Guid.NewGuid().ToString("N")[..12]);

    public GitRepository()
    {
        Directory.CreateDirectory(root);
        Git(root, "init", "--bare", "--initial-branch=main", BareDirectory);
        Git(root, "clone", BareDirectory, WorkDirectory);
        Git(WorkDirectory, "config", "user.email", "test@berth.invalid");
        Git(WorkDirectory, "config", "user.name", "berth test");
    }

    /// <summary>A repository whose work tree holds examples/repo for this host identity (<see cref="TestRepository.FromExample"/>), not committed yet.</summary>
    public static GitRepository WithExample(string hostIdentity)
    {
        using var example = TestRepository.FromExample(hostIdentity);
        var git = new GitRepository();
        git.CopyFrom(example.Directory);
        return git;
    }

    /// <summary>The URL the daemon is configured with (a path: the local transport).</summary>
    public string BareDirectory => Path.Combine(root, "remote.git");

    public string WorkDirectory => Path.Combine(root, "work");

    public void Write(string relativePath, string content)
    {
        var path = Path.Combine(WorkDirectory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public string Read(string relativePath) => File.ReadAllText(Path.Combine(WorkDirectory, relativePath));

    /// <summary>Copies a repository tree (e.g. a <see cref="TestRepository"/>) into the work tree.</summary>
    public void CopyFrom(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            Write(Path.GetRelativePath(directory, file), File.ReadAllText(file));
        }
    }

    public void Delete(string relativePath) => File.Delete(Path.Combine(WorkDirectory, relativePath));

    /// <param name="sshSigningKey">Sign the commit with this SSH private key (git's gpg.format=ssh); unsigned when null.</param>
    /// <returns>The new commit's sha.</returns>
    public string CommitAndPush(string message, string branch = "main", string? sshSigningKey = null)
    {
        Git(WorkDirectory, "add", "-A");
        if (sshSigningKey is null)
        {
            Git(WorkDirectory, "commit", "-q", "-m", message);
        }
        else
        {
            Git(WorkDirectory, "-c", "gpg.format=ssh", "-c", $"user.signingKey={sshSigningKey}", "commit", "-q", "-S", "-m", message);
        }

        Git(WorkDirectory, "push", "-q", "origin", $"HEAD:{branch}");
        return Git(WorkDirectory, "rev-parse", "HEAD").Trim();
    }

    /// <summary>Moves the work tree back to a commit (to commit the next change on top of it, e.g. for another branch).</summary>
    public void ResetTo(string commit) => Git(WorkDirectory, "reset", "-q", "--hard", commit);

    /// <summary>
    /// A new ed25519 key pair (ssh-keygen, no passphrase) under this repository's temporary root.
    /// </summary>
    /// <returns>The private key's path and the allowed_signers line that trusts it for git commits.</returns>
    public (string PrivateKey, string AllowedSignersLine) CreateSshSigningKey(string name, string principal)
    {
        var path = Path.Combine(root, name);
        Run("ssh-keygen", root, "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", path);
        return (path, $"{principal} namespaces=\"git\" {File.ReadAllText(path + ".pub").Trim()}");
    }

    private static string Git(string workingDirectory, params string[] arguments) => Run("git", workingDirectory, arguments);

    private static string Run(string program, string workingDirectory, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {error}");
        }

        return output;
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
