using System.Diagnostics;
using Berth.Reconciler.Loop;
using Berth.Tests.EngineFaults;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.GitFaults;

/// <summary>
/// Git faults under a running daemon (issue #20): the branch deleted, the server gone, the daemon's local
/// mirror corrupted. Whatever the pass reports, the running containers are never touched because of a git
/// fault, and the daemon follows the next commit once git is back. The git source's own behaviour for each
/// fault (and hanging servers, huge trees, force-pushes) is tested in Berth.Tests.GitServers; this is the
/// daemon-level promise on top of it.
/// </summary>
public sealed class GitFaultTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Daemon_BranchDeletedServerGoneMirrorCorrupted_RunningContainersUntouchedThenFollowsTheNextCommit()
    {
        await using var engine = await SecondEngine.StartAsync("10.247.0.0/16");
        var host = "gf" + Guid.NewGuid().ToString("N")[..8];
        using var git = new GitRepository();
        git.Write("berth.yaml", $"hosts:\n  {host}: {{}}\nstacks:\n  app:\n    compose: stacks/app/compose.yaml\n    hosts: [{host}]\n");
        WriteWorker(git, "1");
        var first = git.CommitAndPush("worker 1");
        await using var daemon = await RealDaemon.StartAsync(host, git, engine.DockerHost, interval: "2s");
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == first, "the first commit to be applied", Converge);
        var running = await ContainersAsync(engine, host);

        // 1. The branch deleted on the server.
        Git(git.BareDirectory, "update-ref", "-d", "refs/heads/main");
        await FailedPassAfterAsync(daemon, DateTimeOffset.UtcNow, "the branch deleted");
        Assert.Equal(running, await ContainersAsync(engine, host));
        Git(git.BareDirectory, "update-ref", "refs/heads/main", first);

        // 2. The server gone (the repository's path no longer exists).
        var away = git.BareDirectory + ".away";
        Directory.Move(git.BareDirectory, away);
        await FailedPassAfterAsync(daemon, DateTimeOffset.UtcNow, "the server gone");
        Assert.Equal(running, await ContainersAsync(engine, host));
        Directory.Move(away, git.BareDirectory);

        // 3. The local mirror corrupted while the daemon was down: every object gone, HEAD garbage.
        Assert.Equal(0, await daemon.StopAsync(TimeSpan.FromSeconds(30)));
        var mirror = Directory.GetDirectories(Path.Combine(daemon.StateDirectory, "git")).Single();
        foreach (var objectFile in Directory.EnumerateFiles(Path.Combine(mirror, "objects"), "*", SearchOption.AllDirectories))
        {
            File.Delete(objectFile);
        }

        await File.WriteAllTextAsync(Path.Combine(mirror, "HEAD"), "\0garbage\n");
        await daemon.RestartAsync();

        // Git back: the next commit is followed.
        WriteWorker(git, "2");
        var second = git.CommitAndPush("worker 2");
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == second, "the next commit after the git faults", Converge);
        Assert.Contains("test.revision=2", await engine.DockerAsync("ps", "--filter", $"label=io.berth.host={host}", "--format", "test.revision={{.Label \"test.revision\"}}"), StringComparison.Ordinal);
    }

    private static void WriteWorker(GitRepository git, string revision) => git.Write("stacks/app/compose.yaml", $$"""
        services:
          worker:
            image: berth-test/busybox:1
            command: ["sleep", "86400"]
            init: true
            labels:
              test.revision: "{{revision}}"
        """);

    /// <summary>Waits for a pass that started after the fault and did not succeed; git's failure never reaches the engine.</summary>
    private static async Task FailedPassAfterAsync(RealDaemon daemon, DateTimeOffset since, string fault)
    {
        var status = await daemon.WaitForStatusAsync(
            status => status.LastAttempted is { } attempted && attempted.StartedAt > since && attempted.Outcome is PassOutcome.Transient or PassOutcome.Stalled,
            $"a pass to report {fault}", Converge);
        Assert.DoesNotContain("EngineUnavailable", status.LastAttempted!.Reason, StringComparison.Ordinal);
    }

    /// <summary>Every container of the host: id, state and status, sorted (ids change on any recreate, states on any stop).</summary>
    private static async Task<string> ContainersAsync(SecondEngine engine, string host) =>
        string.Join('\n', (await engine.DockerAsync("ps", "-a", "--no-trunc", "--filter", $"label=io.berth.host={host}", "--format", "{{.ID}} {{.State}}"))
            .Split('\n').Order(StringComparer.Ordinal));

    private static void Git(string directory, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true };
        startInfo.ArgumentList.Add("-C");
        startInfo.ArgumentList.Add(directory);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
    }
}
