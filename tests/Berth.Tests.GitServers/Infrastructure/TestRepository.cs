namespace Berth.Tests.Infrastructure;

/// <summary>How a test commit is signed.</summary>
public abstract record CommitSigning
{
    public sealed record Ssh(SshKeyPair Key) : CommitSigning;

    public sealed record Gpg(GpgKey Key) : CommitSigning;
}

/// <summary>
/// An "upstream" bare repository (what servers serve) and a working clone that commits and pushes to it,
/// in a temporary directory that is removed on dispose.
/// </summary>
public sealed class TestRepository : IDisposable
{
    private readonly TempDirectory root;

    private TestRepository(TempDirectory root)
    {
        this.root = root;
    }

    /// <summary>The directory servers use as their base: the bare repository is <see cref="BareName"/> in it.</summary>
    public string ServeRoot => root.Combine("served");

    public string BareName => "upstream.git";

    public string BarePath => Path.Combine(ServeRoot, BareName);

    public string WorkPath => root.Combine("work");

    public string FileUrl => "file://" + BarePath;

    public static async Task<TestRepository> CreateAsync()
    {
        var repository = new TestRepository(new TempDirectory("repo"));
        Directory.CreateDirectory(repository.ServeRoot);
        await TestGit.RunAsync(repository.ServeRoot, "init", "--quiet", "--bare", repository.BareName);
        await TestGit.RunAsync(repository.root.Path, "init", "--quiet", "work");
        await TestGit.RunAsync(repository.WorkPath, "remote", "add", "origin", repository.BarePath);
        return repository;
    }

    /// <summary>Writes (or with null content, deletes) files, commits everything, and returns the new commit id. Does not push.</summary>
    public async Task<string> CommitAsync(IReadOnlyDictionary<string, string?> files, string message, CommitSigning? signing = null)
    {
        foreach (var (relativePath, content) in files)
        {
            var path = Path.Combine(WorkPath, relativePath);
            if (content is null)
            {
                File.Delete(path);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content);
        }

        await TestGit.RunAsync(WorkPath, "add", "--all");
        var environment = new Dictionary<string, string>();
        string[] signArguments = signing switch
        {
            CommitSigning.Ssh ssh => ["-c", "gpg.format=ssh", "-c", $"user.signingKey={ssh.Key.PrivateKeyPath}"],
            CommitSigning.Gpg gpg => ["-c", "gpg.format=openpgp", "-c", $"user.signingKey={gpg.Key.Fingerprint}"],
            _ => [],
        };
        if (signing is CommitSigning.Gpg gpgSigning)
        {
            environment["GNUPGHOME"] = gpgSigning.Key.Home;
        }

        await TestGit.RunAsync(WorkPath, environment, [.. signArguments, "commit", "--quiet", "--allow-empty", signing is null ? "--no-gpg-sign" : "--gpg-sign", "-m", message]);
        return (await TestGit.RunAsync(WorkPath, "rev-parse", "HEAD")).Trim();
    }

    public Task<string> CommitAsync(string relativePath, string content, string message, CommitSigning? signing = null) =>
        CommitAsync(new Dictionary<string, string?> { [relativePath] = content }, message, signing);

    /// <summary>
    /// Forges a commit: the tip's headers and signature with a different message, written as a new
    /// object and checked out. The signature no longer matches the content it claims to sign.
    /// </summary>
    public async Task<string> ForgeTipMessageKeepingSignatureAsync(string newMessage)
    {
        var raw = await TestGit.RunAsync(WorkPath, "cat-file", "commit", "HEAD");
        var headerEnd = raw.IndexOf("\n\n", StringComparison.Ordinal);
        var forged = raw[..(headerEnd + 2)] + newMessage + "\n";
        var sha = (await TestGit.RunWithInputAsync(WorkPath, forged, "hash-object", "-t", "commit", "-w", "--stdin")).Trim();
        await ResetHardAsync(sha);
        return sha;
    }

    public Task PushAsync(bool force = false, string branch = "main") =>
        TestGit.RunAsync(WorkPath, force ? ["push", "--quiet", "--force", "origin", $"HEAD:refs/heads/{branch}"] : ["push", "--quiet", "origin", $"HEAD:refs/heads/{branch}"]);

    public Task ResetHardAsync(string revision) => TestGit.RunAsync(WorkPath, "reset", "--quiet", "--hard", revision);

    public Task DeleteUpstreamBranchAsync(string branch = "main") => TestGit.RunAsync(BarePath, "update-ref", "-d", $"refs/heads/{branch}");

    /// <summary>
    /// What anyone allowed to push any branch can do: <paramref name="count"/> branches in the upstream whose
    /// names end in <c>/refs/heads/&lt;branch&gt;</c> (<c>refs/heads/zz00001/refs/heads/main</c>), all at the
    /// current tip. git ls-remote's patterns match such names too, and they sort after the real branch.
    /// </summary>
    public async Task PushBranchFloodAsync(int count, string branch = "main")
    {
        var tip = (await TestGit.RunAsync(WorkPath, "rev-parse", "HEAD")).Trim();
        var commands = string.Concat(Enumerable.Range(1, count).Select(index =>
            $"create refs/heads/zz{index.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)}/refs/heads/{branch} {tip}\n"));
        await TestGit.RunWithInputAsync(BarePath, commands, "update-ref", "--stdin");
    }

    /// <summary>Objects in a repository (loose plus packed), from git count-objects.</summary>
    public static async Task<int> CountObjectsAsync(string repositoryPath)
    {
        var output = await TestGit.RunAsync(repositoryPath, "count-objects", "-v");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts[0] is "count" or "in-pack")
            .Sum(parts => int.Parse(parts[1].Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose() => root.Dispose();
}
