using System.Diagnostics;
using System.Globalization;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Spec;
using Berth.Tests.Faults.Infrastructure;
using Berth.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Berth.Tests.Faults.Hostile;

/// <summary>
/// Hostile commits pushed to the git repository a real `berth daemon` follows while a stack runs: the
/// daemon must attempt each (no hang), keep answering (no crash), never show a byte from outside the
/// repository in its status or log, and leave the running containers exactly as they were (same ids,
/// same start times): the host keeps its last applied state.
/// </summary>
public sealed class HostileCommitDaemonTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PerCommit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Daemon_HostileCommits_NeitherCrashesHangsNorReadsOutsideAndKeepsWhatRuns()
    {
        await using var scope = new DockerTestScope();
        var root = Path.Combine(Path.GetTempPath(), "berth-hostile-git-" + scope.ScopeId);
        using var git = new GitRepository();
        // Git hashes every byte it adds: files past the limits, but not gigabytes (the tree export's own limit is what they test).
        var repositories = new HostileRepositories(root, seed: 20261205, host: scope.ScopeId, maxFileBytes: 64L * 1024 * 1024 + 7);
        repositories.CreateOutside();
        try
        {
            ReplaceWorkTree(git, repositories.CreateValid());
            var applied = git.CommitAndPush("valid");
            await using var daemon = await RealDaemon.StartAsync(scope.ScopeId, git, interval: "1s");
            await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == applied, "the valid commit to be applied", TimeSpan.FromMinutes(2));
            var running = await RunningAsync(scope);
            Assert.NotEmpty(running);

            // Per kind, the first repositories of the sequence that the loader refuses (a hostile repository
            // that happens to be valid, e.g. an odd but readable file name, would rightly be applied).
            var perKind = FaultsProfile.IsLong ? 12 : 2;
            var pushed = HostileRepositories.Kinds.ToDictionary(kind => kind, _ => 0);
            for (var index = 0; pushed.Values.Any(count => count < perKind) && index < 10_000; index++)
            {
                var repository = repositories.Next(index);
                if (pushed[repository.Kind] >= perKind || SpecLoader.LoadHost(repository.Directory, repositories.Host).State is not null)
                {
                    Directory.Delete(repository.Directory, recursive: true);
                    continue;
                }

                ReplaceWorkTree(git, repository.Directory);
                // Two repositories of the sequence can be the same tree, and git refuses an empty commit.
                File.WriteAllText(Path.Combine(git.WorkDirectory, "hostile-commit.txt"), $"{index}\n");
                var commit = git.CommitAndPush($"hostile {index}");
                var clock = Stopwatch.StartNew();
                var status = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == commit, $"the daemon to attempt {repository}", PerCommit);
                Assert.True(status.LastApplied?.Revision == applied, $"{repository}: last applied moved to {status.LastApplied?.Revision}");
                Assert.True(status.LastAttempted!.Outcome is not (PassOutcome.Changed or PassOutcome.Converged), $"{repository}: the pass ended {status.LastAttempted.Outcome}");
                var statusText = await daemon.Http.GetStringAsync("status");
                Assert.False(statusText.Contains(HostileRepositories.CanaryToken, StringComparison.Ordinal), $"{repository}: /status shows a file from outside the repository:\n{statusText}");
                Assert.Equal(running, await RunningAsync(scope));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{repository.Kind} {repository.Description}: {status.LastAttempted.Outcome} {status.LastAttempted.Reason} in {clock.Elapsed.TotalSeconds:F1} s"));
                pushed[repository.Kind]++;
                Directory.Delete(repository.Directory, recursive: true);
            }

            Assert.False(daemon.Output.Contains(HostileRepositories.CanaryToken, StringComparison.Ordinal), "the daemon's log shows a file from outside the repository");
            Assert.True((await daemon.Http.GetAsync("healthz")).IsSuccessStatusCode, "the daemon stopped answering");
            FaultsSummary.Record(output, string.Create(CultureInfo.InvariantCulture,
                $"hostile commits (daemon): {pushed.Values.Sum()} pushed ({string.Join(", ", pushed.Select(pair => $"{pair.Key} {pair.Value}"))}), each attempted within {PerCommit.TotalSeconds:F0} s, containers unchanged, 0 reads outside: ok"));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>Name -> (id, start time) of what berth runs for this host identity: equal means untouched.</summary>
    private static async Task<Dictionary<string, string>> RunningAsync(DockerTestScope scope)
    {
        var containers = await scope.Client.Containers.ListContainersAsync(new Docker.DotNet.Models.ContainersListParameters
        {
            All = true,
            Filters = Berth.Reconciler.Engine.BerthLabels.OwnedBy(scope.ScopeId),
        });
        var running = new Dictionary<string, string>();
        foreach (var container in containers)
        {
            var inspect = await scope.Client.Containers.InspectContainerAsync(container.ID);
            running[container.Names[0].TrimStart('/')] = $"{container.ID} {inspect.State.StartedAt}";
        }

        return running;
    }

    /// <summary>The work tree becomes exactly <paramref name="directory"/>'s files: links stay links, sparse files stay sparse (cp -a).</summary>
    private static void ReplaceWorkTree(GitRepository git, string directory)
    {
        foreach (var entry in new DirectoryInfo(git.WorkDirectory).EnumerateFileSystemInfos().Where(entry => entry.Name != ".git"))
        {
            if (entry is DirectoryInfo { LinkTarget: null } subdirectory)
            {
                subdirectory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }

        using var copy = Process.Start(new ProcessStartInfo("cp", ["-a", directory + "/.", git.WorkDirectory]) { RedirectStandardError = true })!;
        var error = copy.StandardError.ReadToEnd();
        copy.WaitForExit();
        Assert.True(copy.ExitCode == 0, $"cp -a {directory}: {error}");
    }
}
