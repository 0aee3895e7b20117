namespace Berth.Tests.Infrastructure;

/// <summary>The system git, isolated from the machine's configuration, with a fixed identity.</summary>
public static class TestGit
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_CONFIG_GLOBAL"] = "/dev/null",
        ["GIT_AUTHOR_NAME"] = "Alice Operator",
        ["GIT_AUTHOR_EMAIL"] = "alice@example.com",
        ["GIT_COMMITTER_NAME"] = "Alice Operator",
        ["GIT_COMMITTER_EMAIL"] = "alice@example.com",
        ["LC_ALL"] = "C",
    };

    public static Task<string> RunAsync(string workingDirectory, params string[] arguments) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), arguments);

    public static Task<string> RunWithInputAsync(string workingDirectory, string standardInput, params string[] arguments) =>
        TestProcess.RunAsync("git", arguments, workingDirectory, Environment, standardInput);

    public static Task<string> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> extraEnvironment, params string[] arguments)
    {
        var environment = new Dictionary<string, string>(Environment);
        foreach (var (name, value) in extraEnvironment)
        {
            environment[name] = value;
        }

        return TestProcess.RunAsync(
            "git",
            ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "protocol.file.allow=always", .. arguments],
            workingDirectory,
            environment);
    }
}
