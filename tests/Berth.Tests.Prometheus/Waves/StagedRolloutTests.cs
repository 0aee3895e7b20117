using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Reconciler.Forge;
using Berth.Reconciler.Loop;
using Berth.Tests.Fleet;
using Berth.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Berth.Tests.Waves;

/// <summary>
/// A fleet of three on one machine: three real `berth daemon`s (distinct host identities, ports, state
/// directories and stacks) in waves 1, 2 and 3, following one real git repository, converging the one
/// real Docker engine, and Debian's real Prometheus scraping all three, which waves 2 and 3 ask before
/// they apply a commit (docs/fleet.md, "Waves"). A good commit goes through the waves in order with their
/// soak times; a bad one is rolled back on wave 1 and never reaches waves 2 and 3, which hold the good
/// commit and say why; the fix then reaches all three. All three report to one loopback forge (commit
/// statuses, context berth/HOST) and one webhook receiver (notifications), asserted along the way: a
/// commit's status on a host is what that host did with it, and a host that never applied a commit says
/// nothing about it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StagedRolloutTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Soak = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Waves_GoodBadAndFixedCommits_GoThroughTheWavesInOrderAndABadOneStopsAtWaveOne()
    {
        await using var wave1 = new ReconcileHarness();
        await using var wave2 = new ReconcileHarness();
        await using var wave3 = new ReconcileHarness();
        ReconcileHarness[] fleet = [wave1, wave2, wave3];
        using var git = new GitRepository();
        git.Write("app/compose.yaml", Compose("exit 0"));
        git.Write("berth.yaml", Inventory(fleet, version: "1"));
        var good = git.CommitAndPush("v1");
        string[] contexts = [.. fleet.Select(host => $"berth/{host.Host}")];

        // One forge and one webhook receiver for the fleet, as a real fleet has one repository and one chat.
        await using var forge = LoopbackForge.Start(ForgeKind.GitHub);
        await using var receiver = LoopbackReceiver.Start();
        var secrets = Directory.CreateTempSubdirectory("berth-forge-token-").FullName;
        try
        {
            var tokenFile = Path.Combine(secrets, "forge-token");
            File.WriteAllText(tokenFile, forge.Token + "\n");
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            // The daemons know Prometheus' address before it runs: until it answers, waves 2 and 3 must wait.
            var prometheusPort = FreePort.Next();
            var waves = $"""
                waves:
                  prometheus:
                    url: http://127.0.0.1:{prometheusPort}/
                    timeout: 2s
                forge:
                  provider: {forge.ProviderName}
                  apiUrl: {forge.ApiBase}
                  repository: {forge.Repository}
                  tokenFile: {tokenFile}
                notifications:
                  sinks:
                    - type: webhook
                      url: {receiver.UrlFor("/berth")}
                """;
            await using var daemon1 = await RealDaemon.StartAsync(wave1.Host, git, interval: "1s", extraConfig: waves);
            await using var daemon2 = await RealDaemon.StartAsync(wave2.Host, git, interval: "1s", extraConfig: waves);
            await using var daemon3 = await RealDaemon.StartAsync(wave3.Host, git, interval: "1s", extraConfig: waves);
            RealDaemon[] daemons = [daemon1, daemon2, daemon3];

            // 1. Wave 1 applies at once; the gate's source is down, so the later waves hold (fail safe).
            await daemon1.WaitForStatusAsync(status => status.LastApplied?.Revision == good, "wave 1 applying the first commit", Within);
            foreach (var daemon in new[] { daemon2, daemon3 })
            {
                var held = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Reason == "WaveHeld", "a later wave held while Prometheus is down", Within);
                Assert.Null(held.LastApplied);
                Assert.Contains("the gate source cannot be asked", held.LastAttempted!.Summary, StringComparison.Ordinal);
            }

            await using var prometheus = await PrometheusServer.StartAsync(
                [.. daemons.Zip(fleet, (daemon, host) => ($"127.0.0.1:{daemon.BaseUrl.Port}", host.Host))], RepositoryFiles.AlertRules, prometheusPort);

            // 2. The good commit goes through waves 2 and 3 in order. Wave 1 soaked while Prometheus was
            // down (its soak is over when the gate can be asked), so only wave 2's soak shows here.
            var applied = await FirstSeenAppliedAsync(daemons, good);
            Assert.True(applied[0] <= applied[1], $"wave 2 applied before wave 1: {string.Join(", ", applied)}");
            AssertSoaked(applied[1], applied[2], "wave 3 after wave 2");
            foreach (var host in fleet)
            {
                Assert.Contains("VERSION=1", (await host.InspectAsync($"{host.StackName}-web-1")).Config.Env);
            }

            // Each host reports success on the good commit once it converged on it, wave 1's first (waves 2
            // and 3 applied it only after wave 1 proved it). The status is sent in the background: poll.
            await forge.WaitUntilAsync(f => contexts.All(context => f.Latest(good).TryGetValue(context, out var status) && status.State == "success"), Within, "success on the good commit from all three hosts");
            Assert.Equal(["pending", "success"], forge.StatesOf(good, contexts[0]));
            var successIds = contexts.Select(context => forge.History.First(status => status.Sha == good && status.Context == context && status.State == "success").Id).ToList();
            Assert.True(successIds[0] < successIds[1] && successIds[0] < successIds[2], $"wave 1's success is not the first: {string.Join(", ", successIds)}");
            Assert.All(contexts, context => Assert.Equal($"converged and healthy on {context["berth/".Length..]}", forge.Latest(good)[context].Description));

            // 3. A bad commit: its health check fails. Wave 1 rolls it back; waves 2 and 3 hold the good one.
            git.Write("app/compose.yaml", Compose("exit 1"));
            git.Write("berth.yaml", Inventory(fleet, version: "2"));
            var bad = git.CommitAndPush("v2, unhealthy");
            await daemon1.WaitForStatusAsync(status => status.LastAttempted?.Revision == bad && status.LastAttempted.Reason is "RolledBack" or "RevisionFailedBefore", "wave 1 rolling the bad commit back", Within);
            foreach (var daemon in new[] { daemon2, daemon3 })
            {
                var held = await daemon.WaitForStatusAsync(
                    status => status.LastAttempted is { Reason: "WaveHeld" } attempt && attempt.Summary.Contains($"failed commit {bad[..12]}", StringComparison.Ordinal),
                    "a later wave holding the good commit because wave 1 failed the bad one", Within);
                Assert.Equal(good, held.LastApplied?.Revision);
            }

            await PollAsync(async () => (await prometheus.QueryAsync("berth_wave_held{reason=\"failed\"} == 1")).Series.Count == 2, "two hosts held for a failed commit in Prometheus");
            await PollAsync(async () => (await prometheus.QueryAsync($"berth_failed_revision_info{{revision=\"{bad}\",host=\"{wave1.Host}\"}}")).Series.Count == 1, "wave 1's failed commit in Prometheus");
            Assert.Contains("VERSION=1", (await wave1.InspectAsync($"{wave1.StackName}-web-1")).Config.Env);

            // Wave 1 says failure on the bad commit with the rollback's reason, and notifies; waves 2 and 3
            // never applied it, so they say nothing about it (they were held, which is not their verdict).
            await forge.WaitUntilAsync(f => f.Latest(bad).TryGetValue(contexts[0], out var status) && status.State == "failure", Within, "failure on the bad commit from wave 1");
            Assert.Equal(["pending", "failure"], forge.StatesOf(bad, contexts[0]));
            // The reason names the service rolled back, on the status and in the notification alike.
            output.WriteLine($"wave 1 on {bad[..12]}: {forge.Latest(bad)[contexts[0]].Description}");
            Assert.StartsWith($"RolledBack: {wave1.StackName}/web: rolled back: the new container failed its health gate", forge.Latest(bad)[contexts[0]].Description, StringComparison.Ordinal);
            var rolledBack = await NotificationAsync(receiver, "rolledBack", wave1.Host, bad);
            output.WriteLine($"notification: {rolledBack.ToJsonString()}");
            Assert.Equal("error", rolledBack["severity"]!.GetValue<string>());
            Assert.Contains($"{wave1.StackName}/web: rolled back: the new container failed its health gate", rolledBack["message"]!.GetValue<string>(), StringComparison.Ordinal);

            // The dashboard's wave panel, as Grafana would ask: each host's wave, what it runs, and why it holds.
            var panel = await WaveProgressAsync(prometheus);
            Assert.Equal([1, 2, 3], fleet.Select(host => panel[("A", host.Host)]));
            Assert.Equal([0, 3, 3], fleet.Select(host => panel[("C", host.Host)]));
            Assert.All(fleet.Skip(1), host => Assert.True(panel.ContainsKey(("B", host.Host, good)), $"{host.Host} shown running {good[..12]}"));

            // 4. The fix goes through all three waves, in order, again.
            git.Write("app/compose.yaml", Compose("exit 0"));
            git.Write("berth.yaml", Inventory(fleet, version: "3"));
            var fix = git.CommitAndPush("v3, fixed");
            var fixedAt = await FirstSeenAppliedAsync(daemons, fix);
            AssertSoaked(fixedAt[0], fixedAt[1], "wave 2 after wave 1 (the fix)");
            AssertSoaked(fixedAt[1], fixedAt[2], "wave 3 after wave 2 (the fix)");

            // The bad commit never reached waves 2 and 3: not attempted, and never ran there.
            foreach (var (daemon, host) in new[] { (daemon2, wave2), (daemon3, wave3) })
            {
                var status = await daemon.StatusAsync();
                Assert.DoesNotContain(status.History, pass => pass.Revision == bad);
                Assert.Contains("VERSION=3", (await host.InspectAsync($"{host.StackName}-web-1")).Config.Env);
            }

            var notHeld = await prometheus.QueryAsync("max by (host) (berth_wave_held) == 0");
            Assert.True(notHeld.Succeeded, notHeld.Error);

            // The fix: success from every host. The bad commit still has wave 1's status only, and no
            // notification names it but wave 1's.
            await forge.WaitUntilAsync(f => contexts.All(context => f.Latest(fix).TryGetValue(context, out var status) && status.State == "success"), Within, "success on the fix from all three hosts");
            Assert.Equal([contexts[0]], forge.Latest(bad).Keys);
            Assert.All(Notifications(receiver).Where(notification => notification["revision"]?.GetValue<string>() == bad),
                notification => Assert.Equal(wave1.Host, notification["host"]!.GetValue<string>()));
            output.WriteLine(string.Join("\n", forge.History.Select(status => $"{status.Sha[..12]} {status.Context}={status.State} ({status.Description})")));
            Assert.Empty(forge.Violations);
            Assert.All(daemons, daemon => Assert.DoesNotContain(forge.Token, daemon.Output, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(secrets, recursive: true);
        }
    }

    private static List<JsonNode> Notifications(LoopbackReceiver receiver) =>
        [.. receiver.Received.Select(request => JsonNode.Parse(request.Body)!)];

    /// <summary>Polls the receiver for the notification of <paramref name="kind"/> from a host about a commit.</summary>
    private static async Task<JsonNode> NotificationAsync(LoopbackReceiver receiver, string kind, string host, string revision)
    {
        JsonNode? found = null;
        await PollAsync(() =>
        {
            found = Notifications(receiver).FirstOrDefault(notification => notification["event"]?.GetValue<string>() == kind
                && notification["host"]?.GetValue<string>() == host && notification["revision"]?.GetValue<string>() == revision);
            return Task.FromResult(found is not null);
        }, $"a {kind} notification from {host} on {revision[..12]}", () => "received: " + string.Join(" | ", receiver.Received.Select(request => request.Body)));
        return found!;
    }

    /// <summary>
    /// The "Wave progress" panel's queries (packaging/grafana/berth-dashboard.json) against the real
    /// Prometheus: per query and host its value; per query, host and revision for the revision query.
    /// </summary>
    private static async Task<Dictionary<object, double>> WaveProgressAsync(PrometheusServer prometheus)
    {
        var values = new Dictionary<object, double>();
        foreach (var query in DashboardQueries.All().Where(query => query.Panel == "Wave progress"))
        {
            var answer = await prometheus.QueryAsync(query.Expression);
            Assert.True(answer.Succeeded, $"{query}: {answer.Error}");
            foreach (var series in answer.Series)
            {
                values[series.Labels.TryGetValue("revision", out var revision) ? (query.RefId, series.Labels["host"], revision) : (query.RefId, series.Labels["host"])] = series.Values[0];
            }
        }

        return values;
    }

    /// <summary>
    /// Polls the three daemons until each reports the commit applied; returns when the test first saw
    /// each one applied (the status' own time moves with every pass). Seen at most one poll late.
    /// </summary>
    private async Task<DateTimeOffset[]> FirstSeenAppliedAsync(RealDaemon[] daemons, string revision)
    {
        var statuses = new StatusSnapshot?[daemons.Length];
        var firstSeen = new DateTimeOffset?[daemons.Length];
        await PollAsync(async () =>
        {
            for (var index = 0; index < daemons.Length; index++)
            {
                statuses[index] = await daemons[index].StatusAsync();
                if (firstSeen[index] is null && statuses[index]?.LastApplied?.Revision == revision)
                {
                    firstSeen[index] = DateTimeOffset.UtcNow;
                }
            }

            return firstSeen.All(seen => seen is not null);
        }, $"every wave applying {revision[..12]}", () => string.Join("\n", statuses.Select((status, index) => $"wave {index + 1}: {status?.LastAttempted?.Reason} {status?.LastAttempted?.Summary}")));
        output.WriteLine($"{revision[..12]} applied at {string.Join(", ", firstSeen.Select(seen => seen!.Value.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)))}");
        return [.. firstSeen.Select(seen => seen!.Value)];
    }

    /// <summary>The later wave applied at least the soak time after the earlier one (less what one poll can be late).</summary>
    private static void AssertSoaked(DateTimeOffset earlier, DateTimeOffset later, string what) =>
        Assert.True(later - earlier >= Soak - TimeSpan.FromSeconds(1), $"{what}: {(later - earlier).TotalSeconds:0.0}s apart; soak {Soak.TotalSeconds}s");

    /// <summary>One stack per host, all from one Compose file: distinct container names on the one engine.</summary>
    private static string Inventory(ReconcileHarness[] fleet, string version)
    {
        var soak = ((int)Soak.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        var hosts = string.Join("\n", fleet.Select((host, index) => $"  {host.Host}: {{ wave: {index + 1} }}"));
        var stacks = string.Join("\n", fleet.Select(host => $"  {host.StackName}:\n    compose: app/compose.yaml\n    hosts: [{host.Host}]\n    vars: {{ VERSION: \"{version}\" }}"));
        return $"waves:\n  - soak: {soak}\n  - soak: {soak}\n  - soak: {soak}\nhosts:\n{hosts}\nstacks:\n{stacks}\n";
    }

    /// <param name="healthCheck">The health check's command: "exit 0" is a good commit, "exit 1" a bad one.</param>
    private static string Compose(string healthCheck) => $$"""
        services:
          web:
            image: {{TestImages.BusyboxV1}}
            command: ["httpd", "-f", "-p", "8080", "-h", "/"]
            init: true
            network_mode: none
            environment:
              VERSION: ${VERSION}
            healthcheck:
              test: ["CMD-SHELL", "{{healthCheck}}"]
              interval: 1s
              timeout: 2s
              retries: 2
              start_period: 1s
        """;

    private static Task PollAsync(Func<Task<bool>> condition, string what) => PollAsync(condition, what, () => "");

    private static async Task PollAsync(Func<Task<bool>> condition, string what, Func<string> lastSeen)
    {
        var deadline = DateTimeOffset.UtcNow + Within;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}\n{lastSeen()}");
            }

            await Task.Delay(250);
        }
    }
}
