using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// Tests that assert the probe's request rate run alone, after the parallel ones: the rate is the test's
/// resolution (a gap shorter than the time between two requests goes unseen), and with another test class
/// rolling out containers beside it on two cores the probe fell to 10-15 requests/s (CI, 2026-12-05) where
/// it makes 40+ on its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredTrafficCollection
{
    public const string Name = "measured traffic";
}

/// <summary>
/// A client container on the service's network in which two clients each request http://ALIAS:8080/version about every
/// 10 ms plus the request itself (40-60/s each on a quiet machine), resolving the name afresh each time (busybox wget has no DNS cache), and prints one
/// line per request: "ok &lt;body&gt;" or "FAIL". Counting the lines after a rollout measures downtime.
/// </summary>
public sealed class TrafficProbe
{
    private readonly IDockerClient client;
    private readonly string containerId;

    private TrafficProbe(IDockerClient client, string containerId)
    {
        this.client = client;
        this.containerId = containerId;
    }

    public static async Task<TrafficProbe> StartAsync(DockerTestScope scope, string network, string url)
    {
        // Two clients: each request forks three processes (subshell, timeout, wget), and on a slow host one
        // client alone made 10.8 requests/s (CI, 2026-12-05), too few to say a rollout left no gap.
        var client = $"while true; do if body=$(timeout 2 wget -q -O- {url}); then echo \"ok $body\"; else echo FAIL; fi; usleep 10000; done";
        var script = $"{client} & {client}";
        var created = await scope.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"{scope.ScopeId}-probe",
            Image = TestImages.BusyboxV1,
            Cmd = ["sh", "-c", script],
            Labels = scope.Labels,
            HostConfig = new HostConfig { Init = true, NetworkMode = network },
        });
        await scope.Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        var probe = new TrafficProbe(scope.Client, created.ID);
        await probe.WaitForSuccessesAsync(5, TimeSpan.FromSeconds(20));
        return probe;
    }

    public async Task<(int Ok, int Failed, IReadOnlyList<string> Bodies)> CountAsync()
    {
        using var logs = await client.Containers.GetContainerLogsAsync(containerId, new ContainerLogsParameters { ShowStdout = true });
        var (stdout, _) = await logs.ReadOutputToEndAsync(CancellationToken.None);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ok = lines.Where(line => line.StartsWith("ok", StringComparison.Ordinal)).ToList();
        return (ok.Count, lines.Count(line => line == "FAIL"), [.. ok.Select(line => line[2..].Trim())]);
    }

    /// <summary>Polls until the probe has seen at least this many answers (the service is reachable).</summary>
    public Task WaitForSuccessesAsync(int count, TimeSpan timeout) => WaitForAsync(counts => counts.Ok, count, "successful", timeout);

    /// <summary>Polls until the probe has seen at least this many failed requests (the service stopped answering).</summary>
    public Task WaitForFailuresAsync(int count, TimeSpan timeout) => WaitForAsync(counts => counts.Failed, count, "failed", timeout);

    /// <summary>
    /// Runs a rollout under the probe's traffic and says what the probe saw: the requests made while it
    /// ran, their rate, and every failure up to a few answers after it (the log stream lags slightly).
    /// </summary>
    public async Task<RolloutUnderLoad> MeasureAsync(Func<Task> rollout)
    {
        var before = await CountAsync();
        var timer = System.Diagnostics.Stopwatch.StartNew();
        await rollout();
        timer.Stop();
        var during = await CountAsync();
        await WaitForSuccessesAsync(during.Ok + 5, TimeSpan.FromSeconds(10));
        var after = await CountAsync();
        var requests = during.Ok + during.Failed - before.Ok - before.Failed;
        return new RolloutUnderLoad(timer.Elapsed, requests, requests / timer.Elapsed.TotalSeconds, after.Failed - before.Failed, after.Bodies[^1]);
    }

    private async Task WaitForAsync(Func<(int Ok, int Failed, IReadOnlyList<string> Bodies), int> counted, int count, string what, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (counted(await CountAsync()) < count)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the probe saw fewer than {count} {what} requests within {timeout}");
            }

            await Task.Delay(100);
        }
    }
}

/// <param name="Failed">Failed requests from the start of the rollout until the probe's last answer after it.</param>
/// <param name="LastBody">The body of the last answer: which version serves now.</param>
public sealed record RolloutUnderLoad(TimeSpan Duration, int Requests, double Rate, int Failed, string LastBody)
{
    public override string ToString() => $"rollout {Duration.TotalSeconds:0.0}s, {Requests} requests ({Rate:0.0}/s), {Failed} failed";
}
