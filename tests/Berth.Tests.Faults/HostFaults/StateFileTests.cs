using Berth.Reconciler.Loop;
using Berth.Tests.EngineFaults;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.HostFaults;

/// <summary>
/// The state file truncated (a full disk) or corrupted while the daemon was down (issue #20): the daemon
/// starts, says so, keeps the file aside, and converges from what runs, without touching a running container.
/// </summary>
public sealed class StateFileTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    public async Task DaemonStart_UnreadableStateFile_IsSetAsideAndTheHostConvergesWithoutRecreatingContainers(string damage)
    {
        await using var engine = await SecondEngine.StartAsync("10.246.0.0/16");
        var host = "hf" + Guid.NewGuid().ToString("N")[..8];
        using var git = new GitRepository();
        git.Write("berth.yaml", $"hosts:\n  {host}: {{}}\nstacks:\n  app:\n    compose: stacks/app/compose.yaml\n    hosts: [{host}]\n");
        git.Write("stacks/app/compose.yaml", """
            services:
              worker:
                image: berth-test/busybox:1
                command: ["sleep", "86400"]
                init: true
            """);
        var commit = git.CommitAndPush("one worker");
        await using var daemon = await RealDaemon.StartAsync(host, git, engine.DockerHost, interval: "3s");
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == commit, "the commit to be applied", Converge);
        var containersBefore = await engine.DockerAsync("ps", "-q", "--no-trunc", "--filter", $"label=io.berth.host={host}");
        Assert.Equal(0, await daemon.StopAsync(TimeSpan.FromSeconds(30)));

        var stateFile = Path.Combine(daemon.StateDirectory, $"state-{host}.json");
        var content = await File.ReadAllBytesAsync(stateFile);
        await File.WriteAllBytesAsync(stateFile, damage == "truncated" ? content[..(content.Length / 2)] : [0x00, 0xde, 0xad, 0xbe, 0xef]);
        await daemon.RestartAsync();

        var status = await daemon.WaitForStatusAsync(
            status => status.LastAttempted is { Outcome: PassOutcome.Converged or PassOutcome.Changed, Revision: { } revision } && revision == commit,
            "a successful pass after the restart", Converge);

        Assert.Equal(commit, status.LastApplied?.Revision);
        Assert.Contains("is unreadable", daemon.Output, StringComparison.Ordinal);
        var kept = Assert.Single(Directory.GetFiles(daemon.StateDirectory, $"state-{host}.json.corrupt-*"));
        Assert.Equal(damage == "truncated" ? content[..(content.Length / 2)] : [0x00, 0xde, 0xad, 0xbe, 0xef], await File.ReadAllBytesAsync(kept));
        Assert.Equal(containersBefore, await engine.DockerAsync("ps", "-q", "--no-trunc", "--filter", $"label=io.berth.host={host}"));
        Assert.True(File.Exists(stateFile), "a new state file is written by the pass");
    }
}
