using System.Text.Json;
using Berth.Reconciler.Loop;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.EngineFaults;

/// <summary>
/// The engine goes away under the daemon (issue #20): stopped during a pass, restarted with live-restore off
/// (every container stops) in the middle of a rollout's health gate. The daemon survives, reports the
/// outage, never holds the commit as failed for it, and converges once the engine is back. Against a
/// second dockerd of the test's own (<see cref="SecondEngine"/>): the machine's engine is never touched.
/// </summary>
public sealed class EngineRestartTests
{
    private const string AddressPool = "10.245.0.0/16";
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(3);

    private sealed class Scenario : IAsyncDisposable
    {
        public required SecondEngine Engine { get; init; }
        public required GitRepository Git { get; init; }
        public required RealDaemon Daemon { get; init; }
        public required string Host { get; init; }
        public required string FirstCommit { get; init; }

        public static async Task<Scenario> StartAsync()
        {
            var engine = await SecondEngine.StartAsync(AddressPool);
            var host = "ef" + Guid.NewGuid().ToString("N")[..8];
            var git = new GitRepository();
            WriteDesiredState(git, host, revision: "1");
            var first = git.CommitAndPush("web and worker, revision 1");
            var daemon = await RealDaemon.StartAsync(host, git, engine.DockerHost, interval: "3s");
            await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == first, "the first commit to be applied", Converge);
            return new Scenario { Engine = engine, Git = git, Daemon = daemon, Host = host, FirstCommit = first };
        }

        public async Task<IReadOnlyList<string>> RunningAsync() =>
            (await Engine.DockerAsync("ps", "--filter", $"label=io.berth.host={Host}", "--format", "{{.Names}} {{.Status}}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();

        /// <summary>The revisions the state file holds as failed (the daemon's own record; must stay empty).</summary>
        public int FailedRevisionsInState()
        {
            var path = Path.Combine(Daemon.StateDirectory, $"state-{Host}.json");
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.TryGetProperty("failed_revisions", out var failed) ? failed.EnumerateObject().Count() : 0;
        }

        public async ValueTask DisposeAsync()
        {
            await Daemon.DisposeAsync();
            await Engine.DisposeAsync();
            Git.Dispose();
        }
    }

    /// <summary>
    /// web: an httpd with a health check every 3 s (its first probe runs 3 s after start on 20.10, so a
    /// gate lasts at least that long: the window the engine restart hits); worker: no health check.
    /// </summary>
    private static void WriteDesiredState(GitRepository git, string host, string revision)
    {
        git.Write("berth.yaml", $$"""
            hosts:
              {{host}}: {}
            stacks:
              app:
                compose: stacks/app/compose.yaml
                hosts: [{{host}}]
            """);
        git.Write("stacks/app/compose.yaml", $$"""
            services:
              web:
                image: berth-test/busybox:1
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                init: true
                environment:
                  REVISION: "{{revision}}"
                labels:
                  test.revision: "{{revision}}"
                healthcheck:
                  test: ["CMD-SHELL", "timeout 2 wget -q -O- http://127.0.0.1:8080/ || exit 1"]
                  interval: 3s
                  timeout: 2s
                  retries: 3
              worker:
                image: berth-test/busybox:1
                command: ["sleep", "86400"]
                init: true
            """);
    }

    [Fact]
    public async Task Daemon_EngineRestartedDuringAHealthGate_IsTransientNotAFailedRevisionAndConverges()
    {
        await using var scenario = await Scenario.StartAsync();
        WriteDesiredState(scenario.Git, scenario.Host, revision: "2");
        var second = scenario.Git.CommitAndPush("web revision 2");

        // The new web container runs, its gate waits for the first probe: restart the engine now.
        await SecondEngine.PollAsync(
            async () => (await scenario.Engine.DockerAsync("ps", "-q", "--filter", $"label=io.berth.host={scenario.Host}", "--filter", "label=test.revision=2")).Length > 0,
            "the rollout's new container to run", Converge);
        await scenario.Engine.RestartAsync();

        var status = await scenario.Daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == second, "the commit to be applied after the engine restart", Converge);

        // The restart hit the gate: a transient pass (engine unavailable), then the converging one.
        Assert.Contains(status.History, pass => pass.Outcome == PassOutcome.Transient && pass.Revision == second);
        Assert.DoesNotContain(status.History, pass => pass.Outcome == PassOutcome.Stalled);
        Assert.Equal(0, scenario.FailedRevisionsInState());
        var running = await scenario.RunningAsync();
        Assert.Equal(2, running.Count);
        Assert.All(running, line => Assert.DoesNotContain("unhealthy", line, StringComparison.Ordinal));
        Assert.Contains(running, line => line.StartsWith("app-web-1 ", StringComparison.Ordinal) && line.Contains("(healthy)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Daemon_EngineAwayWhileTheGatedContainerIsStopped_IsTransientNotAFailedRevision()
    {
        // The engine restart above, made exact: a real restart often outlasts the engine client's retries
        // (then the gate throws a transient error anyway), but one shorter than them hid the outage and the
        // gate blamed the version. Here the daemon reaches the engine through a forwarder the test takes
        // down; while it is down the containers are stopped as dockerd's shutdown stops them (SIGTERM, exit
        // 143), and it comes back within the retries.
        await using var engine = await SecondEngine.StartAsync(AddressPool);
        await using var forwarder = new EngineSocketForwarder(engine.DockerHost["unix://".Length..]);
        forwarder.Start();
        var host = "ef" + Guid.NewGuid().ToString("N")[..8];
        using var git = new GitRepository();
        WriteDesiredState(git, host, revision: "1");
        var first = git.CommitAndPush("web and worker, revision 1");
        await using var daemon = await RealDaemon.StartAsync(host, git, forwarder.DockerHost, interval: "3s");
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == first, "the first commit to be applied", Converge);
        WriteDesiredState(git, host, revision: "2");
        var second = git.CommitAndPush("web revision 2");
        var gated = "";
        await SecondEngine.PollAsync(
            async () => (gated = await engine.DockerAsync("ps", "-q", "--filter", $"label=io.berth.host={host}", "--filter", "label=test.revision=2")).Length > 0,
            "the rollout's new container to run", Converge);

        var errorsBefore = await ApiErrorsAsync(daemon);
        forwarder.Stop();
        // The gate met the outage (its inspect failed and is being retried): now the engine "stops" the containers.
        await SecondEngine.PollAsync(async () => await ApiErrorsAsync(daemon) > errorsBefore, "the gate to meet the outage", TimeSpan.FromSeconds(10));
        var all = (await engine.DockerAsync("ps", "-q", "--filter", $"label=io.berth.host={host}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await engine.DockerAsync(["kill", "--signal", "TERM", .. all]);
        await SecondEngine.PollAsync(async () => (await engine.DockerAsync("ps", "-q", "--filter", $"label=io.berth.host={host}")).Length == 0, "the containers to stop", TimeSpan.FromSeconds(10));
        forwarder.Start();

        var status = await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == second, "the commit to be applied after the outage", Converge);
        Assert.DoesNotContain(status.History, pass => pass.Outcome == PassOutcome.Stalled);
        Assert.Contains(status.History, pass => pass.Outcome == PassOutcome.Transient && pass.Revision == second);
        var stateFile = Path.Combine(daemon.StateDirectory, $"state-{host}.json");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(stateFile));
        Assert.Empty(document.RootElement.GetProperty("failed_revisions").EnumerateObject());
        Assert.Contains("after the engine was unreachable during its health gate", daemon.Output, StringComparison.Ordinal);
    }

    private static async Task<double> ApiErrorsAsync(RealDaemon daemon) =>
        (await daemon.Http.GetStringAsync("metrics")).Split('\n')
            .Where(line => line.StartsWith("berth_docker_api_errors_total", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Daemon_EngineStoppedThenBack_ReportsTheOutageSurvivesAndRestartsWhatTheEngineStopped()
    {
        await using var scenario = await Scenario.StartAsync();
        await scenario.Engine.StopAsync();

        var outage = await scenario.Daemon.WaitForStatusAsync(
            status => status.LastAttempted is { Outcome: PassOutcome.Transient, Reason: "EngineUnavailable" },
            "a pass to report the engine unavailable", Converge);
        Assert.Contains("Docker Engine unavailable", outage.LastAttempted!.Summary, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await scenario.Daemon.Http.GetAsync("healthz")).StatusCode);
        var metrics = await scenario.Daemon.Http.GetStringAsync("metrics");
        Assert.Contains("berth_docker_api_errors_total", metrics, StringComparison.Ordinal);

        // Back, with every container stopped (live-restore off): the daemon starts them again by itself.
        await scenario.Engine.StartAgainAsync();
        var back = await scenario.Daemon.WaitForStatusAsync(
            status => status.LastAttempted is { Outcome: PassOutcome.Converged or PassOutcome.Changed } attempted && attempted.StartedAt > outage.LastAttempted.StartedAt,
            "a successful pass after the engine is back", Converge);
        await SecondEngine.PollAsync(async () => (await scenario.RunningAsync()).Count(line => !line.Contains("starting", StringComparison.Ordinal)) == 2, "web and worker running again", Converge);

        Assert.Equal(scenario.FirstCommit, back.LastApplied?.Revision);
        Assert.Equal(0, scenario.FailedRevisionsInState());
        Assert.DoesNotContain(back.History, pass => pass.Outcome == PassOutcome.Stalled);
    }
}
