using Berth.Tests.Infrastructure;

namespace Berth.Tests.Cli;

/// <summary>
/// `&lt;state-dir&gt;/repo`, where a git source's relative bind mounts point: container data there
/// survives new commits, `plan` never touches it, and a failed rollout leaves the last applied files.
/// The real binary, a real git repository, the real engine.
/// </summary>
public sealed class LiveDirectoryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ApplyGit_ContainerWroteIntoARelativeBindDirectory_DataSurvivesTheNextCommit()
    {
        await using var harness = new ReconcileHarness();
        using var git = new GitRepository();
        using var state = TestRepository.Empty(harness.Host + "-state");
        var stackDirectory = $"stacks/{harness.Host}";
        WriteInventory(git, harness.Host);
        // ./data is in no commit (git stores no empty directory): berth creates it, the container fills it.
        git.Write($"{stackDirectory}/compose.yaml", Compose(
            """["sh", "-c", "echo started >> /data/log; exec sleep 3600"]""", "REV: \"1\"", "./data:/data"));
        git.Write($"{stackDirectory}/notes.txt", "removed by the next commit");
        git.CommitAndPush("first");
        Assert.Equal(0, await ApplyAsync(state, git, harness.Host));
        var log = Path.Combine(state.Directory, "repo", stackDirectory, "data", "log");
        await PollAsync(() => File.Exists(log) && File.ReadAllText(log) == "started\n", "the container wrote into ./data");

        git.Write($"{stackDirectory}/compose.yaml", Compose(
            """["sh", "-c", "echo started >> /data/log; exec sleep 3600"]""", "REV: \"2\"", "./data:/data"));
        git.Delete($"{stackDirectory}/notes.txt");
        var second = git.CommitAndPush("second: recreate the service, drop a file");
        Assert.Equal(0, await ApplyAsync(state, git, harness.Host));

        Assert.Equal(second, (await harness.InspectAsync($"{harness.Host}-app-1")).Config.Labels["io.berth.revision"]);
        // The first container's line is still there, and the new container appended its own.
        await PollAsync(() => File.ReadAllText(log) == "started\nstarted\n", "the new container appended to the kept data");
        Assert.False(File.Exists(Path.Combine(state.Directory, "repo", stackDirectory, "notes.txt")));
    }

    [Fact]
    public async Task PlanGit_OtherBranchWithOtherFiles_LeavesTheLiveDirectoryByteIdentical()
    {
        await using var harness = new ReconcileHarness();
        using var git = new GitRepository();
        using var state = TestRepository.Empty(harness.Host + "-state");
        var stackDirectory = $"stacks/{harness.Host}";
        WriteInventory(git, harness.Host);
        git.Write($"{stackDirectory}/compose.yaml", Compose(
            """["sh", "-c", "exec sleep 3600"]""", "REV: \"1\"", "./config/app.conf:/etc/app.conf:ro"));
        git.Write($"{stackDirectory}/config/app.conf", "applied");
        git.Write($"{stackDirectory}/keep.txt", "applied");
        var applied = git.CommitAndPush("applied");
        Assert.Equal(0, await ApplyAsync(state, git, harness.Host));
        var live = Path.Combine(state.Directory, "repo");
        var before = Snapshot(live);

        git.Write($"{stackDirectory}/compose.yaml", Compose(
            """["sh", "-c", "exec sleep 3600"]""", "REV: \"2\"", "./config/app.conf:/etc/app.conf:ro"));
        git.Write($"{stackDirectory}/config/app.conf", "only planned");
        git.Write($"{stackDirectory}/new.txt", "only planned");
        git.Delete($"{stackDirectory}/keep.txt");
        git.CommitAndPush("a change on another branch", branch: "other");
        var (exitCode, output) = await BerthProcess.RunAsync(Timeout,
            "--state-dir", state.Directory, "plan", "--git", git.BareDirectory, "--branch", "other", "--host", harness.Host);

        Assert.True(exitCode == 2, output); // changes pending
        Assert.Equal(before, Snapshot(live));
        Assert.Equal("applied", await harness.ExecAsync($"{harness.Host}-app-1", "cat", "/etc/app.conf"));
        Assert.Equal(applied, (await harness.InspectAsync($"{harness.Host}-app-1")).Config.Labels["io.berth.revision"]);
    }

    [Fact]
    public async Task ApplyGit_StopFirstRolloutFails_LiveDirectoryHoldsTheLastAppliedFilesBeforeTheOldContainerRestarts()
    {
        await using var harness = new ReconcileHarness();
        using var git = new GitRepository();
        using var state = TestRepository.Empty(harness.Host + "-state");
        var stackDirectory = $"stacks/{harness.Host}";
        WriteInventory(git, harness.Host);
        // The container copies its config at start and exits when it is bad: the gate fails fast.
        const string command = """["sh", "-c", "cp /etc/app.conf /tmp/at-start; grep -q good /etc/app.conf || exit 3; exec sleep 3600"]""";
        git.Write($"{stackDirectory}/compose.yaml", Compose(command, "REV: \"1\"", "./config/app.conf:/etc/app.conf:ro", stopFirst: true));
        git.Write($"{stackDirectory}/config/app.conf", "good");
        git.Write($"{stackDirectory}/keep.txt", "from the applied revision");
        git.CommitAndPush("good");
        Assert.Equal(0, await ApplyAsync(state, git, harness.Host));
        var live = Path.Combine(state.Directory, "repo");
        var applied = Snapshot(live);

        git.Write($"{stackDirectory}/compose.yaml", Compose(command, "REV: \"2\"", "./config/app.conf:/etc/app.conf:ro", stopFirst: true));
        git.Write($"{stackDirectory}/config/app.conf", "bad");
        git.Write($"{stackDirectory}/new.txt", "from the failed revision");
        git.Delete($"{stackDirectory}/keep.txt");
        git.CommitAndPush("bad config");
        var (exitCode, output) = await BerthProcess.RunAsync(Timeout,
            "--state-dir", state.Directory, "apply", "--git", git.BareDirectory, "--branch", "main", "--host", harness.Host);

        Assert.True(exitCode == 1, output);
        Assert.Contains("restarted the previous", output, StringComparison.Ordinal);
        Assert.Equal(applied, Snapshot(live));
        // The old container started again on the applied files, not on the failed revision's.
        Assert.Equal("good", await harness.ExecAsync($"{harness.Host}-app-1", "cat", "/tmp/at-start"));
    }

    private static void WriteInventory(GitRepository git, string host) => git.Write("berth.yaml", $"""
        hosts:
          {host}: {"{}"}
        stacks:
          {host}:
            compose: stacks/{host}/compose.yaml
            hosts: [{host}]
        """);

    private static string Compose(string command, string environment, string bind, bool stopFirst = false) => $"""
        services:
          app:
            image: {TestImages.BusyboxV1}
            init: true
            command: {command}
            environment:
              {environment}
            volumes:
              - {bind}
            deploy:
              update_config:
                order: {(stopFirst ? "stop-first" : "start-first")}
                monitor: 2s
        """;

    private static async Task<int> ApplyAsync(TestRepository state, GitRepository git, string host)
    {
        var (exitCode, output) = await BerthProcess.RunAsync(Timeout,
            "--state-dir", state.Directory, "apply", "--git", git.BareDirectory, "--branch", "main", "--host", host);
        Assert.True(exitCode == 0, output);
        return exitCode;
    }

    /// <summary>Every file under the directory with its bytes (as text, for a readable diff), by relative path.</summary>
    private static SortedDictionary<string, string> Snapshot(string directory) => new(
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(path => Path.GetRelativePath(directory, path), path => Convert.ToBase64String(File.ReadAllBytes(path))),
        StringComparer.Ordinal);

    private static async Task PollAsync(Func<bool> condition, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(30), $"timed out waiting until {what}");
            await Task.Delay(200);
        }
    }
}
