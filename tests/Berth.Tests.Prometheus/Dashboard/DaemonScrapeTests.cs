using System.Security.Cryptography;
using System.Text;
using Berth.Reconciler.Loop;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Dashboard;

/// <summary>
/// Debian's Prometheus scraping a running `berth daemon` (the real binary, following a real git
/// repository, converging the real engine) through a deploy, a successful and a rolled-back rollout,
/// a refused re-poll, a webhook, a drift repair, a git outage and an engine outage; then every
/// dashboard panel query and every alert expression: valid, and every panel returns data.
/// </summary>
public sealed class DaemonScrapeTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Dashboard_ScrapingARealDaemon_EveryPanelQueryAndAlertIsValidAndPanelsHaveData()
    {
        await using var harness = new ReconcileHarness();
        using var git = GitRepository.WithExample(harness.Host);
        var first = git.CommitAndPush("initial desired state");
        await using var engine = new EngineSocketForwarder();
        engine.Start();
        await using var daemon = await RealDaemon.StartAsync(harness.Host, git, engine.DockerHost);
        var scrapedSince = DateTimeOffset.UtcNow;
        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{daemon.BaseUrl.Port}", harness.Host, RepositoryFiles.AlertRules);

        // 1. Deploy, then a successful rollout.
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == first, "the first commit", Converge);
        git.Write("berth.yaml", git.Read("berth.yaml").Replace($"hello from the {harness.Host} host", "second", StringComparison.Ordinal));
        var second = git.CommitAndPush("successful rollout");
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == second, "the successful rollout", Converge);

        // 2. A webhook delivery (signed as GitHub does) and a drift repair.
        const string body = """{"ref":"refs/heads/main"}""";
        using (var request = new HttpRequestMessage(HttpMethod.Post, "webhooks/github") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
        {
            request.Headers.Add("X-GitHub-Event", "push");
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("e2e-secret"u8.ToArray(), Encoding.UTF8.GetBytes(body))));
            Assert.Equal(202, (int)(await daemon.Http.SendAsync(request)).StatusCode);
        }

        await harness.Client.Containers.StopContainerAsync($"{harness.Host}-worker-1", new Docker.DotNet.Models.ContainerStopParameters { WaitBeforeKillSeconds = 1 });
        await PollAsync(async () => (await harness.InspectAsync($"{harness.Host}-worker-1")).State.Running, "the drift repair");

        // 3. A rollout that rolls back, then the same commit refused on the next polls.
        var compose = $"stacks/{harness.Host}/compose.yaml";
        git.Write(compose, git.Read(compose).Replace("timeout 2 wget -q -O- http://127.0.0.1:8080/ || exit 1", "exit 1", StringComparison.Ordinal));
        var broken = git.CommitAndPush("rolled back");
        await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == broken && status.LastAttempted.Reason == "RevisionFailedBefore", "the rollback and a refused re-poll", Converge);

        // 4. The git server and the engine go away for a few passes, then come back.
        Directory.Move(git.BareDirectory, git.BareDirectory + ".away");
        await daemon.WaitForStatusAsync(status => status.LastAttempted?.Reason is not null && status.LastAttempted.Summary.StartsWith("git:", StringComparison.Ordinal), "a failed fetch", Converge);
        Directory.Move(git.BareDirectory + ".away", git.BareDirectory);
        engine.Stop();
        await daemon.WaitForStatusAsync(status => status.LastAttempted?.Reason == "EngineUnavailable", "an engine outage", Converge);
        engine.Start();
        await daemon.WaitForStatusAsync(status => status.LastAttempted?.Reason == "RevisionFailedBefore", "the daemon back to polling", Converge);

        // Let Prometheus take a few more scrapes and evaluate the rules.
        await PollAsync(async () => (await prometheus.QueryAsync("count_over_time(berth_converged[5m])")).Series.FirstOrDefault()?.Values.FirstOrDefault() >= 20, "20 scrapes of the daemon");

        var now = DateTimeOffset.UtcNow;
        var variables = new Dictionary<string, string>
        {
            ["datasource"] = "prometheus",
            ["instance"] = $"127.0.0.1:{daemon.BaseUrl.Port}",
            ["__rate_interval"] = "1m",
            ["__interval"] = "15s",
            ["__range"] = $"{(int)(now - scrapedSince).TotalSeconds + 60}s",
        };
        var problems = new List<string>();
        foreach (var query in DashboardQueries.All())
        {
            var expression = DashboardQueries.Substitute(query.Expression, variables);
            var answer = query.Instant
                ? await prometheus.QueryAsync(expression, now)
                : await prometheus.QueryRangeAsync(expression, scrapedSince, now, TimeSpan.FromSeconds(1));
            if (!answer.Succeeded)
            {
                problems.Add($"{query}: invalid: {answer.Error}");
            }
            else if (!answer.HasData)
            {
                problems.Add($"{query}: no data for {expression}");
            }
        }

        foreach (var rule in AlertRules.All())
        {
            var answer = await prometheus.QueryAsync(rule.Expression, now);
            if (!answer.Succeeded)
            {
                problems.Add($"alert {rule}: invalid: {answer.Error}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n\ndaemon output:\n" + daemon.Output[^Math.Min(4000, daemon.Output.Length)..]);
        var rolledBack = await prometheus.QueryAsync("berth_rollouts_total{result=\"rolled_back\"}", now);
        Assert.Contains(rolledBack.Series, series => series.Values.Any(value => value >= 1));
    }

    private static async Task PollAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Converge;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(250);
        }
    }
}
