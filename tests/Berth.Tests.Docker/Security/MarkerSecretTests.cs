using System.Text;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Security;

/// <summary>
/// Issue 21's definition of done: a marker secret, used by a service, searched for in every output
/// channel berth has (CLI, daemon log, /status, /metrics, state files, error messages) and never found.
/// The real binary, a real git repository, the real daemon and the real engine.
/// </summary>
/// <remarks>
/// To add a source of secrets: add a <see cref="MarkerSource"/> to <see cref="Sources"/> that writes its
/// files and returns its marker, how the service uses it and how to see that it reached the container; the
/// channels are searched for every marker of every source. The markers of interpolated sources are used
/// in the environment, and one of them in `command:` and another in a label too: a secret reaches a
/// spec's other strings through interpolation, and the state file must not hold those either.
/// </remarks>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MarkerSecretTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Where a secret comes from, and how the repository uses it.</summary>
    /// <param name="Prepare">Gets the scenario's directories, writes what it needs (and sets the CLI/daemon options it needs), returns its marker and how it is used.</param>
    public sealed record MarkerSource(string Name, Func<MarkerScenario, PreparedMarker> Prepare);

    /// <summary>A source's marker, how the service uses it, and how to see that it reached the container.</summary>
    /// <param name="ReachedContainer">Whether the marker is in the container (named): the test is not vacuous.</param>
    public sealed record PreparedMarker(string Marker, Func<ReconcileHarness, string, Task<bool>> ReachedContainer)
    {
        /// <summary>The variable an interpolating source defines (used as `NAME: ${NAME}` in the environment), else null.</summary>
        public string? Variable { get; init; }

        /// <summary>Lines under the service (indented by 4), e.g. `secrets: [...]`.</summary>
        public string ServiceLines { get; init; } = "";

        /// <summary>Top-level lines of the Compose file, e.g. `secrets: {...}`.</summary>
        public string TopLevelLines { get; init; } = "";

        /// <summary>What a container that prints its secrets before failing runs (a shell command).</summary>
        public string PrintCommand { get; init; } = "env";
    }

    private static Func<ReconcileHarness, string, Task<bool>> InEnvironment(string marker) =>
        async (harness, container) => (await harness.InspectAsync(container)).Config.Env.Any(variable => variable.Contains(marker, StringComparison.Ordinal));

    /// <summary>What a source may write into: the repository's work tree and a host-local directory outside it.</summary>
    /// <param name="StackDirectory">The stack's directory in the repository (where its Compose file and `.env` are).</param>
    public sealed record MarkerScenario(GitRepository Repository, string HostDirectory, List<string> HostEnvFiles, string StackDirectory)
    {
        /// <summary>Where secrets and configs are written for the containers, for a source that mounts files; passed to the CLI and the daemon.</summary>
        public string? SecretFilesDirectory { get; set; }

        /// <summary>The host's age identity, for a source that encrypts with SOPS; passed to the CLI and the daemon.</summary>
        public string? AgeKeyFile { get; private set; }

        /// <summary>The recipient of the host's age identity, created at the first call (sources share it: berth takes one key).</summary>
        public string AgeRecipient()
        {
            if (ageRecipient is null)
            {
                (AgeKeyFile, ageRecipient) = Shared.SopsTestFiles.NewAgeKey(HostDirectory, "host.age");
            }

            return ageRecipient;
        }

        private string? ageRecipient;
    }

    private static readonly MarkerSource[] Sources =
    [
        new("host env file", scenario =>
        {
            var marker = "berth-marker-7f3a" + Guid.NewGuid().ToString("N")[..12];
            var file = Path.Combine(scenario.HostDirectory, "secrets.env");
            File.WriteAllText(file, $"API_KEY={marker}\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            scenario.HostEnvFiles.Add(file);
            return new PreparedMarker(marker, InEnvironment(marker)) { Variable = "API_KEY" };
        }),
        new("SOPS-encrypted .env in the repository", scenario =>
        {
            var marker = "berth-marker-50b5" + Guid.NewGuid().ToString("N")[..12];
            scenario.Repository.Write($"{scenario.StackDirectory}/.env", Shared.SopsTestFiles.Dotenv([("SOPS_TOKEN", marker)], scenario.AgeRecipient()));
            return new PreparedMarker(marker, InEnvironment(marker)) { Variable = "SOPS_TOKEN" };
        }),
        new("Compose secrets: file (SOPS-encrypted in the repository)", scenario =>
        {
            // Mounted as a file, never in the environment: the check reads it in the container. Encrypted, as a
            // secret in a repository must be (a plain one would be in every checkout of it, berth's too).
            var marker = "berth-marker-c0de" + Guid.NewGuid().ToString("N")[..12];
            scenario.Repository.Write($"{scenario.StackDirectory}/marker.yaml", Shared.SopsTestFiles.Yaml([("password", marker)], scenario.AgeRecipient()));
            // On a tmpfs, as berth requires (the default, /run/berth/files, is not one on every test machine).
            scenario.SecretFilesDirectory = Directory.CreateDirectory(Path.Combine("/dev/shm", "berth-marker-files-" + Guid.NewGuid().ToString("N")[..12])).FullName;
            return new PreparedMarker(marker, async (harness, container) => (await harness.ExecAsync(container, "cat", "/run/secrets/marker")).Contains(marker, StringComparison.Ordinal))
            {
                ServiceLines = "    secrets: [marker]",
                TopLevelLines = "secrets: { marker: { file: ./marker.yaml } }",
                PrintCommand = "cat /run/secrets/marker",
            };
        }),
    ];

    [Fact]
    public async Task MarkerSecret_UsedByAService_NeverAppearsInAnyOutputChannel()
    {
        await using var harness = new ReconcileHarness();
        using var git = new GitRepository();
        var hostDirectory = Directory.CreateTempSubdirectory("berth-marker-host-").FullName;
        var cliState = Path.Combine(hostDirectory, "cli-state");
        var scenario = new MarkerScenario(git, hostDirectory, [], $"stacks/{harness.Host}");
        try
        {
            var prepared = Sources.Select(source => (source.Name, Result: source.Prepare(scenario))).ToList();
            var markers = prepared.Select(source => (source.Name, source.Result.Marker)).ToList();
            var interpolated = prepared.Where(source => source.Result.Variable is not null).Select(source => source.Result).ToList();
            var compose = $"{scenario.StackDirectory}/compose.yaml";
            // A secret in the command (the `redis-server --requirepass ${PASSWORD}` pattern; here sh's $0) and
            // in a label: strings the state file must hash too, and a rollback must restore.
            var commandMarker = interpolated[0];
            var labelMarker = interpolated[^1];
            var labelReference = "${" + labelMarker.Variable + "}";
            var appliedCommand = $$"""["sh", "-c", "exec sleep 3600", "${{{commandMarker.Variable}}}"]""";
            string Compose(string extraServiceLines, string? command = null, string topLevel = "") => $"""
                services:
                  app:
                    image: {TestImages.BusyboxV1}
                    command: {command ?? appliedCommand}
                    init: true
                    stop_grace_period: 1s
                    labels:
                      example.marker: "token {labelReference}"
                {extraServiceLines}
                {string.Join("\n", prepared.Select(source => source.Result.ServiceLines).Where(lines => lines.Length > 0))}
                    environment:
                {string.Join("\n", interpolated.Select(source => $"      {source.Variable}: ${{{source.Variable}}}"))}
                {string.Join("\n", prepared.Select(source => source.Result.TopLevelLines).Where(lines => lines.Length > 0).Append(topLevel))}
                """;
            git.Write("berth.yaml", $"""
                hosts:
                  {harness.Host}:
                    labels: {"{ role: app }"}
                stacks:
                  {harness.Host}:
                    compose: {compose}
                    hosts:
                      selector: {"{ role: app }"}
                """);
            git.Write(compose, Compose("    deploy: { replicas: 2 }"));
            var firstCommit = git.CommitAndPush("a service with a secret");
            var channels = new List<(string Channel, string Text)>();
            string[] hostEnv = [.. scenario.HostEnvFiles.SelectMany(file => new[] { "--host-env-file", file })];
            string[] ageKey = scenario.AgeKeyFile is { } keyFile ? ["--age-key", keyFile] : [];
            string[] secretFiles = scenario.SecretFilesDirectory is { } filesDirectory ? ["--secret-files-dir", filesDirectory] : [];
            string[] source = ["--repo", git.WorkDirectory, "--host", harness.Host, .. hostEnv, .. ageKey, .. secretFiles];

            async Task RunCli(string channel, int expectedExit, params string[] arguments)
            {
                var (exitCode, output) = await BerthProcess.RunAsync(Timeout, arguments);
                Assert.True(exitCode == expectedExit, $"{channel}: exit {exitCode}, expected {expectedExit}:\n{output}");
                channels.Add((channel, output));
            }

            // The CLI, with its own state directory, before the daemon takes over the host.
            await RunCli("berth validate", 0, ["validate", .. source]);
            await RunCli("berth plan", 2, ["--state-dir", cliState, "plan", .. source]);
            await RunCli("berth plan --json", 2, ["--state-dir", cliState, "plan", "--json", .. source]);
            await RunCli("berth apply", 0, ["--state-dir", cliState, "apply", .. source]);

            // Not vacuous: the value did reach the container, and the command and label hold theirs.
            foreach (var (name, result) in prepared)
            {
                Assert.True(await result.ReachedContainer(harness, $"{harness.Host}-app-1"), $"the {name} marker did not reach the container");
            }

            var first = await harness.InspectAsync($"{harness.Host}-app-1");
            Assert.Equal(commandMarker.Marker, first.Config.Cmd[^1]);
            Assert.Equal("token " + labelMarker.Marker, first.Config.Labels["example.marker"]);

            await using var daemon = await RealDaemon.StartAsync(harness.Host, git, hostEnvFiles: scenario.HostEnvFiles, ageKeyFile: scenario.AgeKeyFile, secretFilesDirectory: scenario.SecretFilesDirectory);
            await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == firstCommit, "the first commit to be applied", Timeout);

            // A commit that puts the secret where an error quotes the value: refused, the host keeps running.
            git.Write(compose, Compose("""
                    restart: "${API_KEY}"
                    networks: ["${API_KEY}"]
                """));
            await RunCli("berth validate (refused commit)", 1, ["validate", .. source]);
            var refused = git.CommitAndPush("the secret where a value is quoted");
            await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == refused, "the refused commit to be attempted", Timeout);

            // A commit whose second replica prints its environment and exits (the first one to start claims a
            // directory in a shared volume and runs): the health gate fails, and its evidence (the last log lines)
            // goes to the log, /status and `berth status`. The first replica, already replaced, is rolled back by
            // re-creating the applied spec, whose secret values the state file holds only as hashes.
            git.Write(compose, Compose("""
                    deploy: { replicas: 2, update_config: { monitor: 1s } }
                    volumes: ["shared:/shared"]
                """, command: $"""["sh", "-c", "if mkdir /shared/first 2>/dev/null; then exec sleep 3600; fi; {string.Join("; ", prepared.Select(source => source.Result.PrintCommand).Distinct())}; exit 3"]""", topLevel: "volumes: { shared: {} }"));
            var failing = git.CommitAndPush("a container that prints its secrets and fails");
            var failed = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == failing, "the failing commit to be attempted", Timeout);
            var app = Assert.Single(failed.Services, service => service.Service == "app");
            Assert.Contains("API_KEY=(hidden)", app.LastRollout?.Evidence, StringComparison.Ordinal);
            // Rolled back to the applied spec: its values came back from the containers that ran it.
            Assert.Equal(Berth.Reconciler.Loop.RolloutState.RolledBack, app.LastRollout?.Result);
            foreach (var replica in new[] { 1, 2 })
            {
                var restored = await harness.InspectAsync($"{harness.Host}-app-{replica}");
                Assert.Equal(["sh", "-c", "exec sleep 3600", commandMarker.Marker], restored.Config.Cmd);
                Assert.Equal("token " + labelMarker.Marker, restored.Config.Labels["example.marker"]);
                foreach (var (name, result) in prepared)
                {
                    Assert.True(await result.ReachedContainer(harness, $"{harness.Host}-app-{replica}"), $"the {name} marker is not in rolled-back replica {replica}");
                }
            }

            await RunCli("berth status", 0, ["status", "--config", daemon.ConfigFile]);
            await RunCli("berth status --json", 0, ["status", "--json", "--config", daemon.ConfigFile]);
            channels.Add(("GET /status (with the token: evidence included)", await daemon.Http.GetStringAsync(new Uri("status", UriKind.Relative))));
            channels.Add(("GET /metrics", await daemon.Http.GetStringAsync(new Uri("metrics", UriKind.Relative))));

            // Stopped before its files are read: it holds berth.lock exclusively while it runs.
            Assert.Equal(0, await daemon.StopAsync(TimeSpan.FromSeconds(30)));
            foreach (var file in Directory.EnumerateFiles(cliState, "*", SearchOption.AllDirectories).Concat(Directory.EnumerateFiles(daemon.StateDirectory, "*", SearchOption.AllDirectories)))
            {
                channels.Add(("file " + file, Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file))));
            }

            // Not under systemd here: the daemon logs to its stdout/stderr (the journal's input under the unit).
            Assert.Contains("restart", daemon.Output, StringComparison.Ordinal);
            channels.Add(("daemon stdout/stderr", daemon.Output));

            var found = channels.SelectMany(channel => markers.Where(marker => channel.Text.Contains(marker.Marker, StringComparison.Ordinal))
                .Select(marker => $"{marker.Name} marker in {channel.Channel}")).ToList();
            Assert.True(found.Count == 0, string.Join("\n", found));
            Assert.Contains(channels, channel => channel.Channel.EndsWith("state-" + harness.Host + ".json", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(hostDirectory, recursive: true);
            if (scenario.SecretFilesDirectory is { } filesDirectory && Directory.Exists(filesDirectory))
            {
                Directory.Delete(filesDirectory, recursive: true);
            }
        }
    }
}
