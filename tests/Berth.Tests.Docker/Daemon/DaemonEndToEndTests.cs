using Berth.Reconciler.Loop;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Daemon;

/// <summary>The real `berth daemon` following a real git repository and converging the real engine.</summary>
public sealed class DaemonEndToEndTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A test's world: its own host identity on the real engine, a git repository seeded with the
    /// example, and a daemon following it that has applied the first commit.
    /// </summary>
    private sealed class Scenario : IAsyncDisposable
    {
        private Scenario(ReconcileHarness harness, GitRepository git, string firstCommit)
        {
            Harness = harness;
            Git = git;
            FirstCommit = firstCommit;
        }

        public ReconcileHarness Harness { get; }

        public GitRepository Git { get; }

        public string FirstCommit { get; }

        public RealDaemon Daemon { get; private set; } = null!;

        public string Host => Harness.Host;

        /// <summary>With signatures required: the trusted key that signed the first commit; null otherwise.</summary>
        public string? TrustedSigningKey { get; private init; }

        /// <param name="requireSignatures">Require SSH-signed commits; the first commit is signed by the one trusted key.</param>
        /// <param name="changeExample">Edits the example in the work tree before the first commit.</param>
        /// <param name="hostEnvFiles">`spec.hostEnvFiles` of the daemon.</param>
        public static async Task<Scenario> StartAsync(EngineSocketForwarder? engine = null, string interval = "2s", bool requireSignatures = false, Action<GitRepository, string>? changeExample = null, IReadOnlyList<string>? hostEnvFiles = null)
        {
            var harness = new ReconcileHarness();
            var git = GitRepository.WithExample(harness.Host);
            changeExample?.Invoke(git, harness.Host);
            var (trustedKey, allowedSigners) = requireSignatures ? git.CreateSshSigningKey("trusted", "ops@berth.invalid") : (null, null);
            var scenario = new Scenario(harness, git, git.CommitAndPush("initial desired state", sshSigningKey: trustedKey)) { TrustedSigningKey = trustedKey };
            scenario.Daemon = await RealDaemon.StartAsync(harness.Host, git, engine?.DockerHost, interval, allowedSigners, hostEnvFiles: hostEnvFiles);
            await scenario.Daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == scenario.FirstCommit, "the first commit to be applied", Converge);
            return scenario;
        }

        public async ValueTask DisposeAsync()
        {
            await Daemon.DisposeAsync();
            await Harness.DisposeAsync();
            Git.Dispose();
        }
    }

    [Fact]
    public async Task Daemon_CommitPushed_IsConvergedWithoutARestart()
    {
        await using var scenario = await Scenario.StartAsync();
        var (harness, git, daemon, _) = (scenario.Harness, scenario.Git, scenario.Daemon, scenario.FirstCommit);

        Assert.Equal(4, (await harness.ManagedContainerNamesAsync()).Count);

        git.Write("berth.yaml", git.Read("berth.yaml").Replace($"hello from the {harness.Host} host", "pushed greeting", StringComparison.Ordinal));
        var second = git.CommitAndPush("change the greeting");
        var status = await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == second, "the pushed commit to be applied", Converge);

        Assert.Contains("GREETING=pushed greeting", (await harness.InspectAsync($"{harness.Host}-web-1")).Config.Env);
        Assert.Contains(status.Conditions, condition => condition.Type == ConditionTypes.Ready && condition.Status == ConditionStatus.True);
        var web = Assert.Single(status.Services, service => service.Service == "web");
        Assert.Equal((2, 2, 2), (web.DesiredReplicas, web.Running, web.Healthy));
        Assert.Contains($"step {harness.Host}/web: replace container {harness.Host}-web-1", daemon.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The daemon keeps the loaded commit between passes (docs/reconcile.md, "The loaded commit"); a host env
    /// file is outside the commit, and a value rotated in it must still go out at the next pass, without a
    /// commit or a restart.
    /// </summary>
    [Fact]
    public async Task Daemon_HostEnvFileRotated_TheNextPassAppliesItWithoutACommit()
    {
        var hostEnv = Path.Combine(Directory.CreateTempSubdirectory("berth-host-env-").FullName, "host.env");
        await File.WriteAllTextAsync(hostEnv, "WEB_GREETING=from the host file\n");
        try
        {
            await using var scenario = await Scenario.StartAsync(hostEnvFiles: [hostEnv]);
            var (harness, daemon) = (scenario.Harness, scenario.Daemon);
            Assert.Contains("GREETING=from the host file", (await harness.InspectAsync($"{harness.Host}-web-1")).Config.Env);
            // One more pass with nothing to do: the one that keeps the loaded commit and answers from it next.
            var applied = (await daemon.StatusAsync()).LastAttempted?.Number ?? 0;
            await daemon.WaitForStatusAsync(status => status.LastAttempted?.Number > applied, "an idle pass after the first commit's", Converge);
            Assert.Contains("commit: kept", daemon.Output, StringComparison.Ordinal);

            await File.WriteAllTextAsync(hostEnv, "WEB_GREETING=rotated on the host\n");

            var deadline = DateTimeOffset.UtcNow + Converge;
            while (!(await harness.InspectAsync($"{harness.Host}-web-1")).Config.Env.Contains("GREETING=rotated on the host"))
            {
                Assert.True(DateTimeOffset.UtcNow < deadline, "the rotated value did not reach web-1 within 2 minutes");
                await Task.Delay(250);
            }

            // Loaded for the first commit, kept while idle, loaded again for the rotated file (the pass's line
            // comes when it ends, after the container changed).
            var status = await daemon.WaitForStatusAsync(_ => System.Text.RegularExpressions.Regex.Count(daemon.Output, "commit: loaded") >= 2, "the rotating pass's log line", Converge);
            Assert.Equal(scenario.FirstCommit, status.LastApplied?.Revision);
            Assert.Contains($"step {harness.Host}/web: replace container {harness.Host}-web-1", daemon.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(hostEnv)!, recursive: true);
        }
    }

    [Fact]
    public async Task Daemon_SignedWebhookForTheBranch_AppliesThePushAtOnce_ABadSignatureIsRefused()
    {
        // A poll interval of an hour: after the first pass only a webhook can bring the push in.
        await using var scenario = await Scenario.StartAsync(interval: "1h");
        var (harness, git, daemon) = (scenario.Harness, scenario.Git, scenario.Daemon);
        git.Write("berth.yaml", git.Read("berth.yaml").Replace($"hello from the {harness.Host} host", "webhook greeting", StringComparison.Ordinal));
        var pushed = git.CommitAndPush("change the greeting");
        const string body = """{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000"}""";

        using (var forged = GitHubPush(body, secret: "not-the-secret"))
        {
            Assert.Equal(401, (int)(await daemon.Http.SendAsync(forged)).StatusCode);
        }

        Assert.NotEqual(pushed, (await daemon.StatusAsync()).LastApplied?.Revision);
        using (var signed = GitHubPush(body, secret: "e2e-secret"))
        {
            Assert.Equal(202, (int)(await daemon.Http.SendAsync(signed)).StatusCode);
        }

        var status = await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == pushed, "the pushed commit to be applied after the webhook", Converge);
        Assert.Equal(PassTrigger.Webhook, status.LastAttempted?.Trigger);
        Assert.Contains("GREETING=webhook greeting", (await harness.InspectAsync($"{harness.Host}-web-1")).Config.Env);
    }

    private static HttpRequestMessage GitHubPush(string body, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "webhooks/github") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", "push");
        var signature = System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes(body));
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(signature));
        return request;
    }

    [Fact]
    public async Task Daemon_SignaturesRequired_UnsignedAndUntrustedTipsAreRefusedTheHostKeepsTheLastApplied()
    {
        await using var scenario = await Scenario.StartAsync(requireSignatures: true);
        var (harness, git, daemon) = (scenario.Harness, scenario.Git, scenario.Daemon);
        var idsBefore = await harness.ContainerIdsAsync();

        // An unsigned tip: refused, status says why, nothing changes.
        git.Write("berth.yaml", git.Read("berth.yaml").Replace($"hello from the {harness.Host} host", "unsigned greeting", StringComparison.Ordinal));
        var unsigned = git.CommitAndPush("unsigned change");
        var refused = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == unsigned, "the unsigned tip to be refused", Converge);
        Assert.Equal("SignatureRefused", refused.LastAttempted!.Reason);
        Assert.Contains("is not signed; signatures are required", refused.LastAttempted.Summary, StringComparison.Ordinal);
        Assert.Equal(scenario.FirstCommit, refused.LastApplied?.Revision);

        // Signed, but by a key the host does not trust: refused the same way.
        var (strangerKey, _) = git.CreateSshSigningKey("stranger", "someone@elsewhere.invalid");
        git.Write("berth.yaml", git.Read("berth.yaml").Replace("unsigned greeting", "stranger greeting", StringComparison.Ordinal));
        var untrusted = git.CommitAndPush("signed by a stranger", sshSigningKey: strangerKey);
        var refusedAgain = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == untrusted, "the untrusted tip to be refused", Converge);
        Assert.Equal("SignatureRefused", refusedAgain.LastAttempted!.Reason);
        Assert.Equal(scenario.FirstCommit, refusedAgain.LastApplied?.Revision);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
        Assert.DoesNotContain("GREETING=stranger greeting", (await harness.InspectAsync($"{harness.Host}-web-1")).Config.Env);

        // Signed by the trusted key: applied.
        git.Write("berth.yaml", git.Read("berth.yaml").Replace("stranger greeting", "trusted greeting", StringComparison.Ordinal));
        var trusted = git.CommitAndPush("signed by ops", sshSigningKey: scenario.TrustedSigningKey);
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == trusted, "the trusted commit to be applied", Converge);
        Assert.Contains("GREETING=trusted greeting", (await harness.InspectAsync($"{harness.Host}-web-1")).Config.Env);
    }

    [Fact]
    public async Task Daemon_RolloutFails_StatusShowsTheRollbackWithItsEvidenceAndKeepsServing()
    {
        await using var scenario = await Scenario.StartAsync();
        var (harness, git, daemon, first) = (scenario.Harness, scenario.Git, scenario.Daemon, scenario.FirstCommit);
        var idsBefore = await harness.ContainerIdsAsync();

        var compose = $"stacks/{harness.Host}/compose.yaml";
        git.Write(compose, git.Read(compose).Replace("timeout 2 wget -q -O- http://127.0.0.1:8080/ || exit 1", "echo database unreachable; exit 1", StringComparison.Ordinal));
        var broken = git.CommitAndPush("a health check that never passes");
        var status = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == broken, "the broken commit to be attempted", Converge);

        Assert.Equal(PassOutcome.Stalled, status.LastAttempted!.Outcome);
        Assert.Equal("RolledBack", status.LastAttempted.Reason);
        Assert.Equal(first, status.LastApplied!.Revision);
        var web = Assert.Single(status.Services, service => service.Service == "web");
        Assert.Equal(RolloutState.RolledBack, web.LastRollout!.Result);
        Assert.Contains("unhealthy", web.LastRollout.Evidence, StringComparison.Ordinal);
        Assert.Contains("database unreachable", web.LastRollout.Evidence, StringComparison.Ordinal);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());

        // The next pass skips the failed revision and rolls nothing out: the rollback and its evidence
        // stay on /status and in `berth status` until a newer rollout of the service replaces them.
        var later = await daemon.WaitForStatusAsync(
            current => current.LastAttempted!.Number > status.LastAttempted.Number, "a further pass after the rollback", Converge);
        Assert.Equal("RevisionFailedBefore", later.LastAttempted!.Reason);
        var webLater = Assert.Single(later.Services, service => service.Service == "web");
        Assert.Equal(RolloutState.RolledBack, webLater.LastRollout!.Result);
        Assert.Equal(broken, webLater.LastRollout.Revision);
        Assert.Contains("database unreachable", webLater.LastRollout.Evidence, StringComparison.Ordinal);

        var (exitCode, stdout, _) = await Shared.CliRunner.RunAsync("status", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile);
        Assert.Equal(0, exitCode);
        Assert.Contains("last rollout RolledBack", stdout, StringComparison.Ordinal);
        Assert.Contains("database unreachable", stdout, StringComparison.Ordinal);

        // A plain sync holds the failed service back; --retry-failed rolls it out again (and it rolls back again).
        var (heldExit, heldOut, _) = await Shared.CliRunner.RunAsync("sync", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile);
        Assert.Equal(1, heldExit);
        Assert.Contains("Stalled (RevisionFailedBefore)", heldOut, StringComparison.Ordinal);
        Assert.Contains($"{harness.Host}/web held back", heldOut, StringComparison.Ordinal);

        var (retryExit, retryOut, _) = await Shared.CliRunner.RunAsync("sync", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile, "--retry-failed");
        Assert.Equal(1, retryExit);
        Assert.Contains("Stalled (RolledBack)", retryOut, StringComparison.Ordinal);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
    }

    [Fact]
    public async Task Daemon_InvalidCommitThenAFix_StallsWithTheErrorKeepsServingThenAppliesTheFix()
    {
        await using var scenario = await Scenario.StartAsync();
        var (harness, git, daemon, first) = (scenario.Harness, scenario.Git, scenario.Daemon, scenario.FirstCommit);
        var idsBefore = await harness.ContainerIdsAsync();

        var compose = $"stacks/{harness.Host}/compose.yaml";
        var good = git.Read(compose);
        git.Write(compose, good.Replace("    healthcheck:", "    helthcheck:", StringComparison.Ordinal));
        var invalid = git.CommitAndPush("typo");
        var stalled = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == invalid, "the invalid commit to be attempted", Converge);

        Assert.Equal(PassOutcome.Stalled, stalled.LastAttempted!.Outcome);
        Assert.Equal("InvalidCommit", stalled.LastAttempted.Reason);
        Assert.Contains($"{compose}:16:5: unknown key 'helthcheck'", stalled.LastAttempted.Summary, StringComparison.Ordinal);
        Assert.Equal(first, stalled.LastApplied!.Revision);
        Assert.Contains(stalled.Conditions, condition => condition.Type == ConditionTypes.Stalled && condition.Status == ConditionStatus.True);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());

        // A container dies while the tip is invalid: the passes still observe the engine, so the gauges follow.
        await harness.Client.Containers.StopContainerAsync($"{harness.Host}-worker-1", new Docker.DotNet.Models.ContainerStopParameters { WaitBeforeKillSeconds = 0 });
        var worker = $"{{stack=\"{harness.Host}\",service=\"worker\"}}";
        await WaitForMetricAsync(daemon, $"berth_service_healthy{worker} 0");
        Assert.Contains($"berth_service_replicas_running{worker} 0", await daemon.Http.GetStringAsync("metrics"), StringComparison.Ordinal);

        // A restart on the invalid tip keeps the last applied revision (from the state file) and the gauges.
        Assert.Equal(0, await daemon.StopAsync(TimeSpan.FromSeconds(60)));
        await daemon.RestartAsync();
        var restarted = await daemon.WaitForStatusAsync(status => status.LastAttempted is { Number: >= 1 }, "the first pass after the restart", Converge);
        Assert.Equal(("InvalidCommit", invalid), (restarted.LastAttempted!.Reason, restarted.LastAttempted.Revision));
        Assert.Equal(first, restarted.LastApplied!.Revision);
        var metrics = await daemon.Http.GetStringAsync("metrics");
        Assert.Contains($"berth_service_healthy{worker} 0", metrics, StringComparison.Ordinal);
        Assert.Contains($"berth_service_healthy{{stack=\"{harness.Host}\",service=\"web\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("berth_converged 1", metrics, StringComparison.Ordinal);
        var (exitCode, stdout, _) = await Shared.CliRunner.RunAsync("status", "--url", daemon.BaseUrl.ToString(), "--config", daemon.ConfigFile);
        Assert.Equal(0, exitCode);
        Assert.Contains($"last applied    {first}", stdout, StringComparison.Ordinal);

        git.Write(compose, good.Replace("GREETING: ${WEB_GREETING:-hello}", "GREETING: fixed-${WEB_GREETING:-hello}", StringComparison.Ordinal));
        var fixedCommit = git.CommitAndPush("fix the typo, new greeting");
        var applied = await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == fixedCommit, "the fixed commit to be applied", Converge);

        Assert.Contains(applied.Conditions, condition => condition.Type == ConditionTypes.Stalled && condition.Status == ConditionStatus.False);
        Assert.Contains($"GREETING=fixed-hello from the {harness.Host} host", (await harness.InspectAsync($"{harness.Host}-web-1")).Config.Env);
    }

    [Fact]
    public async Task Daemon_HostNotInTheInventory_StallsSayingSoAndCreatesNothing()
    {
        await using var harness = new ReconcileHarness();
        using var git = GitRepository.WithExample(harness.Host);
        var commit = git.CommitAndPush("desired state");
        var typo = harness.Host + "-typo";
        await using var daemon = await RealDaemon.StartAsync(typo, git);

        var status = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == commit, "the commit to be attempted", Converge);

        Assert.Equal(PassOutcome.Stalled, status.LastAttempted!.Outcome);
        Assert.Equal("HostNotInInventory", status.LastAttempted.Reason);
        Assert.Contains($"host {typo} is not in the inventory (berth.yaml); known hosts: {harness.Host}, web-2", status.LastAttempted.Summary, StringComparison.Ordinal);
        Assert.Null(status.LastApplied);
        Assert.Empty(await harness.Client.Containers.ListContainersAsync(
            new Docker.DotNet.Models.ContainersListParameters { All = true, Filters = Berth.Reconciler.Engine.BerthLabels.OwnedBy(typo) }));
    }

    [Fact]
    public async Task Daemon_SigtermDuringARollout_TheNextStartCompletesIt()
    {
        await using var scenario = await Scenario.StartAsync();
        var (harness, git, daemon, first) = (scenario.Harness, scenario.Git, scenario.Daemon, scenario.FirstCommit);

        git.Write("berth.yaml", git.Read("berth.yaml").Replace($"hello from the {harness.Host} host", "after restart", StringComparison.Ordinal));
        var second = git.CommitAndPush("change the greeting");
        await PollForOutputAsync(daemon, $"created {harness.Host}-web-1-next-");
        Assert.Equal(0, await daemon.StopAsync(TimeSpan.FromSeconds(60)));

        await daemon.RestartAsync();
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == second, "the interrupted commit to be applied after the restart", Converge);

        var names = await harness.ManagedContainerNamesAsync();
        Assert.Equal([$"{harness.Host}-db-1", $"{harness.Host}-web-1", $"{harness.Host}-web-2", $"{harness.Host}-worker-1"], names);
        foreach (var name in new[] { $"{harness.Host}-web-1", $"{harness.Host}-web-2" })
        {
            Assert.Contains("GREETING=after restart", (await harness.InspectAsync(name)).Config.Env);
        }
    }

    [Fact]
    public async Task Daemon_EngineGoesAwayAndComesBack_PassesFailTransientlyAndTheDaemonRecoversByItself()
    {
        await using var engine = new EngineSocketForwarder();
        engine.Start();
        await using var scenario = await Scenario.StartAsync(engine);
        var (harness, git, daemon, first) = (scenario.Harness, scenario.Git, scenario.Daemon, scenario.FirstCommit);

        engine.Stop();
        var down = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Reason == "EngineUnavailable", "a pass to find the engine gone", Converge);
        Assert.Equal(PassOutcome.Transient, down.LastAttempted!.Outcome);
        Assert.Equal(200, (int)(await daemon.Http.GetAsync("healthz")).StatusCode);

        // While the engine is away, a commit arrives; once it is back, the daemon applies it without help.
        git.Write("berth.yaml", git.Read("berth.yaml").Replace($"hello from the {harness.Host} host", "engine is back", StringComparison.Ordinal));
        var second = git.CommitAndPush("change while the engine is down");
        engine.Start();
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == second, "the daemon to recover and apply the new commit", Converge);

        Assert.Contains("GREETING=engine is back", (await harness.InspectAsync($"{harness.Host}-web-2")).Config.Env);
    }

    private static async Task WaitForMetricAsync(RealDaemon daemon, string line)
    {
        var deadline = DateTimeOffset.UtcNow + Converge;
        string metrics;
        while (!(metrics = await daemon.Http.GetStringAsync("metrics")).Contains(line, StringComparison.Ordinal))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"/metrics never showed '{line}':\n{metrics}\n{daemon.Output}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task PollForOutputAsync(RealDaemon daemon, string text)
    {
        var deadline = DateTimeOffset.UtcNow + Converge;
        while (!daemon.Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the daemon never logged '{text}':\n{daemon.Output}");
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Daemon_FrontRestartedOrReplicaDeadOutsideAPass_IsHandledAtOnceNotAtTheNextInterval()
    {
        // A poll interval of an hour: only the engine's event can bring the front back in time.
        await using var scenario = await Scenario.StartAsync(interval: "1h", changeExample: (git, host) =>
        {
            var compose = $"stacks/{host}/compose.yaml";
            git.Write(compose, git.Read(compose).Replace("    deploy:\n      replicas: 2", "    x-berth: { front: true }\n    deploy:\n      replicas: 2", StringComparison.Ordinal));
        });
        var (harness, daemon) = (scenario.Harness, scenario.Daemon);
        var front = await harness.InspectAsync($"{harness.Host}-web-front");
        var probe = await TrafficProbe.StartAsync(harness.Scope, $"{harness.Host}_backend", "http://web:8080/");

        // The first pass started the front and the replicas itself: no pass for those.
        Assert.DoesNotContain((await daemon.StatusAsync()).History, pass => pass.Trigger == PassTrigger.EngineEvent);

        // A restart gives the front a new network namespace, without rules: it refuses until re-programmed.
        await harness.Client.Containers.RestartContainerAsync(front.ID, new Docker.DotNet.Models.ContainerRestartParameters { WaitBeforeKillSeconds = 0 });
        var status = await daemon.WaitForStatusAsync(status => status.History.Any(pass => pass.Trigger == PassTrigger.EngineEvent), "a pass triggered by the front's start", TimeSpan.FromSeconds(30));
        var afterPass = await probe.CountAsync();
        await probe.WaitForSuccessesAsync(afterPass.Ok + 5, TimeSpan.FromSeconds(10));

        // The console logger writes from its own queue: the line can follow the status by a moment. Which event
        // the watcher logs depends on the machine: the restart's die always comes outside a pass, its start
        // only when the front took less than the settle time (1 s) to start again; on a loaded machine the
        // start lands in the pass the die asked for, which programs the front at its end (the probe above).
        await PollForOutputAsync(daemon, "-web-front stopped outside a pass");
        // The pass waited for the restart to settle: it found the front running and only re-programmed it.
        var engineEventPass = status.History.First(pass => pass.Trigger == PassTrigger.EngineEvent);
        Assert.Equal(PassOutcome.Converged, engineEventPass.Outcome);
        Assert.Equal(front.ID, (await harness.InspectAsync($"{harness.Host}-web-front")).ID);

        // A replica that dies leaves the front's rules and is started again by the pass its death asks for.
        await harness.Client.Containers.KillContainerAsync($"{harness.Host}-web-1", new Docker.DotNet.Models.ContainerKillParameters());
        await daemon.WaitForStatusAsync(status => status.History.Count(pass => pass.Trigger == PassTrigger.EngineEvent) >= 2, "a pass triggered by the replica's death", TimeSpan.FromSeconds(30));
        Assert.True((await harness.InspectAsync($"{harness.Host}-web-1")).State.Running);
        var afterDeath = await probe.CountAsync();
        await probe.WaitForSuccessesAsync(afterDeath.Ok + 5, TimeSpan.FromSeconds(10));
    }
}
