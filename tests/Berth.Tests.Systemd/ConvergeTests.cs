using System.Text.RegularExpressions;
using Berth.Reconciler.Engine;
using Berth.Tests.Systemd.Infrastructure;

namespace Berth.Tests.Systemd;

/// <summary>
/// The installed berth does its job: it fetches the example stack from a git server over the network,
/// the stack converges on the host's engine, and a new commit pushed to the server is applied. Checked with the Docker client on the host, by berth's ownership labels.
/// </summary>
public sealed class ConvergeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan ConvergeWithin = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Daemon_ExampleStack_Converges()
    {
        var deb = await DebPackages.CurrentAsync();
        var (container, _) = await BerthPackage.RunningAsync(deb);
        await using var _container = container;

        await WaitForServicesAsync(container, "db=1 web=2 worker=1", revision: null);

        // The live directory is shared with containers: under the unit's UMask=0077 the commit's files are
        // still 0644 and the directories berth made 0755, so a container running as another user can read
        // a bind-mounted config file.
        var modes = (await container.CheckedAsync($"find {SystemdContainer.StateDir}/repo -mindepth 1 -printf '%m %y %P\\n' | sort -k3"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(modes, line => line.StartsWith("644 f stacks/", StringComparison.Ordinal) && line.EndsWith("/compose.yaml", StringComparison.Ordinal));
        Assert.All(modes, line => Assert.Matches(@"^(755 d|644 f) ", line));
        output.WriteLine("berth's cgroup after converging: " + await container.CheckedAsync("systemctl show -p MemoryCurrent -p MemoryHigh -p MemoryMax berth"));

        // ... fetched by the sandboxed berth from the git server over the network: git daemon logs each
        // connection's client address and, under the same pid, the repository it asked for.
        var containerAddress = (await Command.CheckedAsync(SystemdContainer.DockerCli,
            ["inspect", "--format", "{{.NetworkSettings.IPAddress}}", container.Name], TimeSpan.FromSeconds(30))).Stdout.Trim();
        var served = container.Repository.ServerOutput;
        var fetchClients = Regex.Matches(served, @"^\[(\d+)\] Request upload-pack for '/desired\.git'", RegexOptions.Multiline)
            .Select(request => Regex.Match(served, $@"^\[{request.Groups[1].Value}\] Connection from (.+):\d+$", RegexOptions.Multiline).Groups[1].Value)
            .ToList();
        Assert.True(fetchClients.Contains(containerAddress),
            $"no fetch from the container ({containerAddress}) in the git server's log:\n{served}");
    }

    [Fact]
    public async Task Daemon_NewCommit_IsApplied()
    {
        var deb = await DebPackages.CurrentAsync();
        var (container, _) = await BerthPackage.RunningAsync(deb);
        await using var _container = container;
        await WaitForServicesAsync(container, "db=1 web=2 worker=1", revision: null);

        // A changed host variable changes the web service's environment: both replicas are replaced,
        // and the new containers carry the new commit as their revision label.
        var commit = await container.Repository.CommitAsync("berth.yaml",
            inventory => inventory.Replace($"WEB_GREETING: hello from the {container.ScopeId} host", "WEB_GREETING: second commit", StringComparison.Ordinal),
            "web: new greeting");

        // Picked up by the 5 s poll interval of the test's config (no webhook, no `berth sync`).
        await WaitForServicesAsync(container, "db=1 web=2 worker=1", revision: commit);
        var webIds = (await Command.CheckedAsync(SystemdContainer.DockerCli,
            ["ps", "--quiet", "--filter", $"label={BerthLabels.Host}={container.ScopeId}", "--filter", $"label={BerthLabels.Service}=web"],
            TimeSpan.FromSeconds(30))).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var id in webIds)
        {
            var environment = await Command.CheckedAsync(SystemdContainer.DockerCli,
                ["inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", id], TimeSpan.FromSeconds(30));
            Assert.Contains("GREETING=second commit", environment.Stdout, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Polls the host's engine for running containers berth labelled as its own on this test's host
    /// until their per-service counts are <paramref name="expected"/> (and, if given, every web
    /// container carries the revision label of <paramref name="revision"/>).
    /// </summary>
    private static Task<string> WaitForServicesAsync(SystemdContainer container, string expected, string? revision) =>
        Deadline.UntilAsync(async () =>
        {
            var listed = await Command.CheckedAsync(SystemdContainer.DockerCli,
            [
                "ps", "--filter", $"label={BerthLabels.ManagedBy}={BerthLabels.ManagedByValue}",
                "--filter", $"label={BerthLabels.Host}={container.ScopeId}", "--filter", "status=running",
                "--format", $"{{{{.Label \"{BerthLabels.Service}\"}}}} {{{{.Label \"{BerthLabels.Revision}\"}}}}",
            ], TimeSpan.FromSeconds(30));
            var rows = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(row => row.Split(' ')).ToList();
            var counts = string.Join(' ', rows.GroupBy(row => row[0]).OrderBy(group => group.Key, StringComparer.Ordinal)
                .Select(group => $"{group.Key}={group.Count()}"));
            // The label may hold the full commit id or a prefix of it.
            var revisionApplied = revision is null
                || rows.Where(row => row[0] == "web").All(row => row.Length > 1 && row[1].Length > 0 && revision.StartsWith(row[1], StringComparison.Ordinal));
            return (counts == expected && revisionApplied ? counts : null, $"{counts} | {listed.Stdout.Trim().Replace('\n', ';')}");
        }, $"the example stack to converge to {expected}" + (revision is null ? "" : $" at {revision}"), ConvergeWithin);
}
