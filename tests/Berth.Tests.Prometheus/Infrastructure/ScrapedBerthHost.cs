using System.Diagnostics;
using System.Globalization;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Git;
using Berth.Reconciler.Metrics;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class ScrapedBerthHostCollection : ICollectionFixture<ScrapedBerthHost>
{
    public const string Name = "a berth host scraped by a real Prometheus";
}

/// <summary>
/// A berth host's metrics as an operator's Prometheus sees them. A fresh registry (plus process
/// metrics, as the daemon's default registry has them) is served by prometheus-net's MetricServer
/// on loopback; Debian's Prometheus scrapes it every second from before the first pass. Then real
/// berth activity feeds it through <see cref="BerthMetrics"/>: reconcile passes on the real Docker
/// engine (deploy, a successful rollout, a drift repair, a rollout that rolls back, the failed revision
/// skipped), real git fetches (one that works, one that fails), a real unsigned-commit refusal and a
/// real engine error. Only webhook deliveries are recorded directly: the daemon's HTTP listener is
/// not part of this library.
/// </summary>
public sealed class ScrapedBerthHost : IAsyncLifetime
{
    private readonly CollectorRegistry registry = global::Prometheus.Metrics.NewCustomRegistry();
    private readonly string workDirectory = Path.Combine(Path.GetTempPath(), "berth-metrics-test-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<string> activity = [];
    private MetricServer? metricServer;
    private ReconcileHarness? harness;
    private PrometheusServer? prometheus;

    public PrometheusServer Prometheus => prometheus ?? throw new InvalidOperationException("not started");

    /// <summary>The scrape target, "127.0.0.1:port": the value of Prometheus' `instance` label.</summary>
    public string Instance { get; private set; } = "";

    /// <summary>The `host` target label (the harness' host identity).</summary>
    public string HostLabel => harness?.Host ?? "";

    /// <summary>When Prometheus first scraped the target: the start of the dashboard's time range.</summary>
    public DateTimeOffset ScrapedSince { get; private set; }

    /// <summary>What happened, for failure messages.</summary>
    public string Activity => string.Join('\n', activity);

    /// <summary>Grafana's variables for a dashboard opened on this host, its range covering the whole activity.</summary>
    public IReadOnlyDictionary<string, string> DashboardVariables(DateTimeOffset now) => new Dictionary<string, string>
    {
        ["datasource"] = "prometheus",
        ["instance"] = Instance,
        // What Grafana computes with the data source's default 15 s scrape interval: max(4 x 15 s, interval + 15 s).
        ["__rate_interval"] = "1m",
        ["__interval"] = "15s",
        ["__range"] = ((int)Math.Ceiling((now - ScrapedSince).TotalSeconds) + 60).ToString(CultureInfo.InvariantCulture) + "s",
    };

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose initialisation failed in every version: clean up here.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        // Each step on its own: a failure in one must not leave containers or a Prometheus behind.
        try
        {
            if (prometheus is not null)
            {
                await prometheus.DisposeAsync();
                prometheus = null;
            }
        }
        finally
        {
            try
            {
                if (metricServer is not null)
                {
                    await metricServer.StopAsync();
                    metricServer = null;
                }
            }
            finally
            {
                if (harness is not null)
                {
                    await harness.DisposeAsync();
                    harness = null;
                }

                if (Directory.Exists(workDirectory))
                {
                    Directory.Delete(workDirectory, recursive: true);
                }
            }
        }
    }

    private async Task StartAsync()
    {
        Directory.CreateDirectory(workDirectory);
        DotNetStats.Register(registry);
        var metrics = new BerthMetrics(registry);
        var port = FreePort.Next();
        metricServer = new MetricServer("127.0.0.1", port, "metrics/", registry);
        metricServer.Start();
        Instance = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

        harness = new ReconcileHarness();
        prometheus = await PrometheusServer.StartAsync(Instance, harness.Host, RepositoryFiles.AlertRules);
        await Poll.UntilAsync(
            async () => (await prometheus.QueryAsync($"up{{job=\"{PrometheusServer.JobName}\"}} == 1")).Series.Count == 1,
            TimeSpan.FromSeconds(30), () => $"Prometheus scraping {Instance}\n{prometheus.Log}");
        ScrapedSince = DateTimeOffset.UtcNow;

        await FeedWithRealActivityAsync(metrics, harness);

        // The last thing recorded; once Prometheus has it, it has scraped everything before it too.
        await Poll.UntilAsync(
            async () => (await prometheus.QueryAsync("berth_webhook_deliveries_total{provider=\"gitea\",result=\"rejected\"} == 1")).Series.Count == 1,
            TimeSpan.FromSeconds(30), () => "the final scrape");
    }

    private async Task FeedWithRealActivityAsync(BerthMetrics metrics, ReconcileHarness host)
    {
        var engine = new MeteredContainerEngine(host.Engine, metrics);
        var reconciler = new HostReconciler(engine, host.StateStore, TimeProvider.System);
        var repository = await CreateRepositoryAsync();
        using var git = new GitSource(new GitSourceOptions { Url = repository, CacheDirectory = Path.Combine(workDirectory, "cache") }, TimeProvider.System, NullLogger<GitSource>.Instance);

        async Task<ApplyResult> PassAsync(string what, DesiredState desired)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var fetch = await git.FetchAsync(timeout.Token);
            metrics.RecordFetch(fetch);
            var started = Stopwatch.GetTimestamp();
            var result = await reconciler.ApplyAsync(desired, DesiredStateRevision.Compute(desired),
                new ApplyOptions { DrainPeriod = TimeSpan.FromMilliseconds(200) }, _ => { }, timeout.Token);
            metrics.RecordPass(desired, result, Stopwatch.GetElapsedTime(started));
            activity.Add($"{what}: {result.Outcome}: {result.Summary}; services: {string.Join(", ", result.Report?.Services.Select(service => $"{service.QualifiedService} {service.Result}") ?? [])}");
            return result;
        }

        var stack = host.StackName;
        var backend = Network(stack, "backend");
        var worker = Service(stack, "worker", Container());
        DesiredState State(Func<ContainerSpec, ContainerSpec> webChange) =>
            Desired(host.Host, Stack(stack, [Service(stack, "web", webChange(WebContainer())).OnNetwork(backend), worker], [backend]));

        var deployed = await PassAsync("deploy", State(web => web));
        Expect(deployed.Outcome == ApplyOutcome.Applied, "the first deploy converges");

        var updated = await PassAsync("update web", State(web => web with { Environment = web.Environment.SetItem("VERSION", "2") }));
        Expect(updated.Outcome == ApplyOutcome.Applied && updated.Report!.Services.Any(service => service.Result == RolloutResult.Succeeded), "the update rolls out");

        // Drift: somebody stops the worker by hand; the next pass starts it again.
        await host.Client.Containers.StopContainerAsync($"{stack}-worker-1", new Docker.DotNet.Models.ContainerStopParameters { WaitBeforeKillSeconds = 1 });
        var repaired = await PassAsync("repair drift", State(web => web with { Environment = web.Environment.SetItem("VERSION", "2") }));
        Expect(repaired.Report!.Steps.Any(step => step.Step.RepairsDrift && step.Result == StepResult.Succeeded), "the stopped worker is started again");

        var broken = State(web => web with
        {
            Environment = web.Environment.SetItem("VERSION", "broken"),
            HealthCheck = FastHealthCheck("echo probe says no; exit 1"),
        });
        var rolledBack = await PassAsync("broken web", broken);
        Expect(rolledBack.Report!.Services.Any(service => service.Result == RolloutResult.RolledBack), "the broken version is rolled back");
        var skipped = await PassAsync("broken web again", broken);
        Expect(skipped.Outcome == ApplyOutcome.SkippedFailedRevision, "the failed revision is not retried");

        // A real engine error: starting a container that does not exist.
        try
        {
            await engine.StartContainerAsync($"{stack}-does-not-exist", CancellationToken.None);
        }
        catch (EngineNotFoundException)
        {
            activity.Add("engine error recorded");
        }

        // A fetch that fails (the repository is gone) and a commit refused for lack of a signature.
        using var missing = new GitSource(new GitSourceOptions { Url = Path.Combine(workDirectory, "no-such-repository"), CacheDirectory = Path.Combine(workDirectory, "cache-missing") }, TimeProvider.System, NullLogger<GitSource>.Instance);
        var failedFetch = await missing.FetchAsync(CancellationToken.None);
        Expect(!failedFetch.Succeeded, "a fetch from a missing repository fails");
        metrics.RecordFetch(failedFetch);
        var allowedSigners = Path.Combine(workDirectory, "allowed_signers");
        await File.WriteAllTextAsync(allowedSigners, "# no key is consulted: the commit carries no signature at all\n");
        using var signed = new GitSource(git.Options with { Signatures = new SignaturePolicy { AllowedSignersFile = allowedSigners } }, TimeProvider.System, NullLogger<GitSource>.Instance);
        var tip = (await signed.FetchAsync(CancellationToken.None)).Tip!;
        var signature = await signed.VerifySignatureAsync(tip, CancellationToken.None);
        Expect(signature.Status == SignatureStatus.Unsigned, "the unsigned commit is refused");
        metrics.RecordSignatureCheck(signature);

        // Webhook deliveries as the daemon's listener will record them.
        metrics.RecordWebhook("github", "triggered");
        metrics.RecordWebhook("gitea", "rejected");
    }

    private void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"the berth activity did not go as planned: {what}\n{Activity}");
        }
    }

    /// <summary>A local repository with one commit: what the git source fetches.</summary>
    private async Task<string> CreateRepositoryAsync()
    {
        var repository = Path.Combine(workDirectory, "repository");
        Directory.CreateDirectory(repository);
        await File.WriteAllTextAsync(Path.Combine(repository, "berth.yaml"), "hosts: {}\n");
        foreach (var arguments in new[]
        {
            new[] { "init", "-q", "-b", "main" },
            ["-c", "user.name=Test", "-c", "user.email=test@example.com", "add", "berth.yaml"],
            ["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "desired state"],
        })
        {
            var startInfo = new ProcessStartInfo("git") { WorkingDirectory = repository, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var process = Process.Start(startInfo)!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Expect(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
        }

        return repository;
    }
}
