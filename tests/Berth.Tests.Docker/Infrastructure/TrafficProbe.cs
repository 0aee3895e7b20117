using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// A client container on the service's network that requests http://ALIAS:8080/version about every
/// 10 ms plus the request itself (40-60/s here), resolving the name afresh each time (busybox wget has no DNS cache), and prints one
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
        var script = $"while true; do if body=$(timeout 2 wget -q -O- {url}); then echo \"ok $body\"; else echo FAIL; fi; usleep 10000; done";
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
    public async Task WaitForSuccessesAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while ((await CountAsync()).Ok < count)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the probe saw fewer than {count} successful requests within {timeout}");
            }

            await Task.Delay(100);
        }
    }
}
