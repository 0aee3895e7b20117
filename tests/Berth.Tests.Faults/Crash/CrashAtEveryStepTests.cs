using System.Globalization;
using Berth.Tests.Faults.Infrastructure;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using Xunit.Abstractions;

namespace Berth.Tests.Faults.Crash;

/// <summary>
/// berth killed with SIGKILL at every step of a rollout (issue #20). The steps are not picked by hand:
/// an uninterrupted pass with <c>BERTH_FAULT_INJECT=trace:FILE</c> lists every operation that changes
/// the host (engine calls, state-file and live-directory writes), then for each point berth is killed
/// right there, started again, and the host must look exactly as after the uninterrupted pass.
/// </summary>
/// <remarks>
/// Points: before operation 1 and after each operation 1..N. "Before operation n+1" leaves the host as
/// "after operation n" does (nothing changes the host in between, by construction of the hook), so these
/// N+1 points are every distinct state a crash can leave.
/// Each point starts from nothing on the same host identity and stack names (everything removed by
/// label, state directory emptied), so names, config hashes and revisions are comparable with the reference.
/// </remarks>
public sealed class CrashAtEveryStepTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PassTimeout = TimeSpan.FromMinutes(3);

    private const string Canary = "written-before-the-change";

    public static TheoryData<string> Scenarios() => [.. CrashScenarios.All.Select(scenario => scenario.Name)];

    /// <summary>
    /// Points per scenario in CI (docs/reliability.md): two of the stop-first replacement (the one that
    /// risks a volume's data), one of each other scenario; the long profile runs all of them.
    /// </summary>
    private static int CiSample(CrashScenario scenario) => scenario.Name == CrashScenarios.StopFirst.Name ? 2 : 1;

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Apply_KilledAtEachStep_NextApplyReachesTheUninterruptedOutcome(string scenarioName)
    {
        var scenario = CrashScenarios.All.Single(candidate => candidate.Name == scenarioName);
        await using var run = new CrashRun(scenario);

        // The reference: the change applied without interruption, traced.
        await run.SetUpInitialAsync();
        var trace = Path.Combine(run.StateRoot, "trace");
        var reference = await run.ApplyChangeAsync($"trace:{trace}");
        Assert.False(reference.Killed, reference.Output);
        Assert.True(reference.ExitCode == (scenario.ChangeFails ? 1 : 0), $"uninterrupted apply: exit {reference.ExitCode}\n{reference.Output}");
        var operations = File.ReadAllLines(trace);
        Assert.NotEmpty(operations);
        var expected = await run.SnapshotAsync();
        expected.AssertConverged(expected, "uninterrupted pass"); // no temporaries, all running
        Assert.Equal(Canary, await run.ReadCanaryAsync());
        var expectedPlanExit = (await run.PlanAsync()).ExitCode;
        output.WriteLine($"{scenario.Name}: {operations.Length} operations:\n  {string.Join("\n  ", operations)}");

        string[] points = ["before:1", .. Enumerable.Range(1, operations.Length).Select(n => $"after:{n}")];
        var selected = FaultsProfile.Select(points.Length, CiSample(scenario));
        var injected = 0;
        var dataChecks = 0;
        var passes = 2; // the reference's initial apply and change
        foreach (var index in selected)
        {
            var point = points[index];
            var operation = index == 0 ? operations[0] : operations[index - 1];
            var context = $"{scenario.Name}, killed {point.Split(':')[0]} operation {operation}";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await run.SetUpInitialAsync();
            var setUp = clock.Elapsed;
            var killed = await run.ApplyChangeAsync(point);
            passes += 2;
            Assert.True(killed.Killed, $"{context}: berth was not killed (exit {killed.ExitCode}): the run's operations differ from the trace\n{killed.Output}");
            injected++;

            var recovery = await run.ApplyChangeAsync(null);
            passes++;
            Assert.True(recovery.ExitCode == reference.ExitCode, $"{context}: the apply after the crash exited {recovery.ExitCode}, uninterrupted {reference.ExitCode}\n{recovery.Output}");
            (await run.SnapshotAsync()).AssertConverged(expected, context);
            Assert.True(await run.ReadCanaryAsync() == Canary, $"{context}: the volume's data changed");
            dataChecks++;
            var plan = await run.PlanAsync();
            Assert.True(plan.ExitCode == expectedPlanExit, $"{context}: berth plan exited {plan.ExitCode}, after an uninterrupted pass {expectedPlanExit}\n{plan.Output}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{point}: ok in {clock.Elapsed.TotalSeconds:F1} s (set-up {setUp.TotalSeconds:F1} s)"));
        }

        FaultsSummary.Record(output, string.Create(CultureInfo.InvariantCulture,
            $"crash: {scenario.Name}: points {selected.Count}/{points.Length} ({string.Join(",", selected.Select(index => points[index]))}, seed {FaultsProfile.Seed}), faults injected {injected}, passes {passes}, data checks {dataChecks}: ok"));
    }

    /// <summary>One scenario's repository (branches `initial` and `change`), state directory and host identity.</summary>
    private sealed class CrashRun : IAsyncDisposable
    {
        private readonly CrashScenario scenario;
        private readonly DockerTestScope scope = new();
        private readonly GitRepository git = new();

        public CrashRun(CrashScenario scenario)
        {
            this.scenario = scenario;
            StateRoot = Path.Combine(Path.GetTempPath(), "berth-faults-" + Host);
            Directory.CreateDirectory(StateRoot);
            WriteTree(scenario.Initial(Host));
            git.CommitAndPush("initial", "initial");
            WriteTree(scenario.Change(Host));
            git.CommitAndPush("change", "change");
        }

        public string Host => scope.ScopeId;

        public string StateRoot { get; }

        private string StateDirectory => Path.Combine(StateRoot, "state");

        private string DbContainer => $"{Host}-app-db-1";

        private void WriteTree(IReadOnlyDictionary<string, string> files)
        {
            foreach (var file in Directory.EnumerateFiles(git.WorkDirectory, "*", SearchOption.AllDirectories).Where(path => !path.Contains("/.git/", StringComparison.Ordinal)))
            {
                File.Delete(file);
            }

            foreach (var (path, content) in files)
            {
                git.Write(path, content);
            }
        }

        private string[] Arguments(string command, string branch) =>
            ["--state-dir", StateDirectory, command, "--git", git.BareDirectory, "--branch", branch, "--host", Host];

        /// <summary>From nothing: every resource of this host identity removed, no state; then the first commit applied and the canary written.</summary>
        public async Task SetUpInitialAsync()
        {
            await scope.RemoveByLabelAsync($"{Berth.Reconciler.Engine.BerthLabels.Host}={Host}");
            if (Directory.Exists(StateDirectory))
            {
                Directory.Delete(StateDirectory, recursive: true);
            }

            var initial = await FaultedBerth.RunAsync(null, PassTimeout, Arguments("apply", "initial"));
            Assert.True(initial.ExitCode == 0, $"{scenario.Name}: initial apply: exit {initial.ExitCode}\n{initial.Output}");
            await ExecAsync(DbContainer, "sh", "-c", $"echo {Canary} > /data/canary");
        }

        public Task<FaultedBerth.Run> ApplyChangeAsync(string? faultSwitch) =>
            FaultedBerth.RunAsync(faultSwitch, PassTimeout, Arguments("apply", "change"));

        public Task<FaultedBerth.Run> PlanAsync() => FaultedBerth.RunAsync(null, PassTimeout, Arguments("plan", "change"));

        public Task<HostSnapshot> SnapshotAsync() => HostSnapshot.TakeAsync(scope.Client, Host);

        public async Task<string> ReadCanaryAsync() => (await ExecAsync(DbContainer, "cat", "/data/canary")).Trim();

        private async Task<string> ExecAsync(string container, params string[] command)
        {
            var exec = await scope.Client.Exec.CreateContainerExecAsync(container, new ContainerExecCreateParameters
            {
                Cmd = command,
                AttachStdout = true,
                AttachStderr = true,
            });
            using var stream = await scope.Client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), CancellationToken.None);
            var (stdout, _) = await stream.ReadOutputToEndAsync(CancellationToken.None);
            return stdout;
        }

        public async ValueTask DisposeAsync()
        {
            // The files go even when the engine cannot be reached to remove the containers.
            try
            {
                await scope.DisposeAsync();
            }
            finally
            {
                git.Dispose();
                if (Directory.Exists(StateRoot))
                {
                    Directory.Delete(StateRoot, recursive: true);
                }
            }
        }
    }
}
