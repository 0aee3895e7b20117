using Berth.Tests.Infrastructure;

namespace Berth.Tests.Cli;

/// <summary>`berth plan` and `berth apply` as a user runs them: the real binary, a repository on disk, the real engine.</summary>
public sealed class PlanApplyCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task ApplyThenPlan_ExampleRepository_ConvergesAndTheSecondPlanHasNoChanges()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host];

        var (planExit, planOutput) = await BerthProcess.RunAsync(Timeout, ["plan", .. common]);
        Assert.Equal(2, planExit);
        Assert.Contains($"create container {harness.Host}-web-1 ({harness.Host}/web #1): missing", planOutput, StringComparison.Ordinal);

        var (applyExit, applyOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. common]);
        Assert.True(applyExit == 0, applyOutput);
        Assert.Contains("converged", applyOutput, StringComparison.Ordinal);
        Assert.Equal(4, (await harness.ManagedContainerNamesAsync()).Count);
        // The state file records the applied spec (secret values included): owner-only, whatever the umask.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state.Directory));
        Assert.All(Directory.GetFiles(state.Directory, "state-*.json"),
            file => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file)));

        var (secondExit, secondOutput) = await BerthProcess.RunAsync(Timeout, ["plan", .. common]);
        Assert.True(secondExit == 0, secondOutput);
        Assert.Contains("no changes", secondOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue #16, through the binary as a user runs it: a no-op `apply` and `plan` send the engine the four
    /// lists (containers, networks, volumes, images) and nothing else. The commands ask for the lists before
    /// they load the repository; the pass takes those answers and does not ask again, and nothing in the
    /// command's wiring (the event stream, the registry, a second observation) adds a request.
    /// ObserveRequestCountTests pins the same for the library and shows the count does not grow with N.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task NoOpApplyAndPlan_TheBinary_SendTheFourListsAndNothingElse()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host];
        var (deployExit, deployOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. common]);
        Assert.True(deployExit == 0, deployOutput);

        await using var forwarder = new EngineSocketForwarder();
        forwarder.Start();
        // A secrets directory of its own: leftovers in the machine's default one would add apply's prune list.
        using var secretFiles = new SecretFilesDirectory(harness.Host);
        string[] counted = [.. common, "--docker-host", forwarder.DockerHost, "--secret-files-dir", secretFiles.Path];
        var (applyExit, applyOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. counted]);
        Assert.True(applyExit == 0 && applyOutput.Contains("up to date", StringComparison.Ordinal), applyOutput);
        var applyRequests = forwarder.Requests.Order(StringComparer.Ordinal).ToList();

        forwarder.ClearRequests();
        var (planExit, planOutput) = await BerthProcess.RunAsync(Timeout, ["plan", .. counted]);
        Assert.True(planExit == 0, planOutput);
        var planRequests = forwarder.Requests.Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["GET /containers/json", "GET /images/json", "GET /networks", "GET /volumes"], applyRequests);
        Assert.Equal(applyRequests, planRequests);
    }

    /// <summary>
    /// `berth plan` only looks. It runs without the state directory's lock, beside a daemon or an `apply`
    /// that may have written a new generation's secret files and not yet created its container: a prune
    /// from the plan's process would take those files from under it. So a generation no container uses
    /// survives a plan, and the next `apply` removes it.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Plan_SecretFilesNoContainerUses_AreLeftForApplyToRemove()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        using var secretFiles = new SecretFilesDirectory(harness.Host);
        var generation = Path.Combine(secretFiles.Path, harness.Host, "other-stack", "api", "0123456789abcdef0123");
        Directory.CreateDirectory(generation);
        File.WriteAllText(Path.Combine(generation, "secret-0"), "not a real secret");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host, "--secret-files-dir", secretFiles.Path];

        var (planExit, planOutput) = await BerthProcess.RunAsync(Timeout, ["plan", .. common]);
        Assert.True(planExit == 2, planOutput);
        Assert.True(File.Exists(Path.Combine(generation, "secret-0")), "berth plan removed secret files");

        var (applyExit, applyOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. common]);
        Assert.True(applyExit == 0, applyOutput);
        Assert.False(Directory.Exists(generation), "berth apply left the files of a generation no container uses");
    }

    /// <summary>A secrets-and-configs directory of the test's own, on /dev/shm (a tmpfs, as berth requires); removed at the end.</summary>
    private sealed class SecretFilesDirectory(string scopeId) : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine("/dev/shm", "berth-test-files-" + scopeId);

        public void Dispose()
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Apply_InvalidCommit_PrintsFileLineColumnAndLeavesRunningContainersAlone()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host];
        Assert.Equal(0, (await BerthProcess.RunAsync(Timeout, ["apply", .. common])).ExitCode);
        var idsBefore = await harness.ContainerIdsAsync();

        var compose = "stacks/" + harness.Host + "/compose.yaml";
        repository.Write(compose, repository.Read(compose).Replace("    healthcheck:", "    helthcheck:", StringComparison.Ordinal));
        var (exitCode, output) = await BerthProcess.RunAsync(Timeout, ["apply", .. common]);

        Assert.Equal(1, exitCode);
        Assert.Contains($"{compose}:16:5: unknown key 'helthcheck' in services.web, did you mean 'healthcheck'?", output, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", output, StringComparison.Ordinal);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
    }

    [Fact]
    public async Task Apply_FromGit_RunsOnePassFromTheBranchTip()
    {
        await using var harness = new ReconcileHarness();
        using var git = GitRepository.WithExample(harness.Host);
        var commit = git.CommitAndPush("desired state");
        using var state = TestRepository.Empty(harness.Host + "-state");

        var (exitCode, output) = await BerthProcess.RunAsync(Timeout,
            "--state-dir", state.Directory, "apply", "--git", git.BareDirectory, "--branch", "main", "--host", harness.Host);

        Assert.True(exitCode == 0, output);
        Assert.Contains($"applying revision {commit}", output, StringComparison.Ordinal);
        Assert.Equal(commit, (await harness.InspectAsync($"{harness.Host}-web-1")).Config.Labels["io.berth.revision"]);
        var (planExit, planOutput) = await BerthProcess.RunAsync(Timeout,
            "--state-dir", state.Directory, "plan", "--git", git.BareDirectory, "--host", harness.Host);
        Assert.True(planExit == 0, planOutput);
    }

    [Fact]
    public async Task PlanGit_WhileTheDaemonHoldsTheStateDirectory_PreviewsFromATemporaryCloneAndWritesNothingThere()
    {
        await using var harness = new ReconcileHarness();
        using var git = GitRepository.WithExample(harness.Host);
        var commit = git.CommitAndPush("desired state");
        using var state = TestRepository.Empty(harness.Host + "-state");
        using var daemon = Berth.Reconciler.State.StateDirectoryLock.Acquire(state.Directory, "berth daemon");
        var entriesBefore = Directory.GetFileSystemEntries(state.Directory).Order(StringComparer.Ordinal).ToArray();

        var (exitCode, output) = await BerthProcess.RunAsync(Timeout,
            "--state-dir", state.Directory, "plan", "--git", git.BareDirectory, "--branch", "main", "--host", harness.Host);

        Assert.True(exitCode == 2, output);
        Assert.Contains($"another berth process uses {state.Directory}; fetching into a temporary clone", output, StringComparison.Ordinal);
        Assert.Contains($"revision {commit}", output, StringComparison.Ordinal);
        Assert.Contains($"create container {harness.Host}-web-1", output, StringComparison.Ordinal);
        Assert.Equal(entriesBefore, Directory.GetFileSystemEntries(state.Directory).Order(StringComparer.Ordinal).ToArray());
        Assert.Empty(await harness.ManagedContainerNamesAsync());
    }

    [Fact]
    public async Task PlanJson_EnvironmentChanged_ListsEachStepWithServiceAndCauseButNeverTheValue()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host];
        Assert.Equal(0, (await BerthProcess.RunAsync(Timeout, ["apply", .. common])).ExitCode);
        var compose = "stacks/" + harness.Host + "/compose.yaml";
        repository.Write(compose, repository.Read(compose).Replace("${WEB_GREETING:-hello}", "s3cret-greeting-value", StringComparison.Ordinal));

        var (exitCode, output) = await BerthProcess.RunAsync(Timeout, ["plan", "--json", .. common]);

        Assert.True(exitCode == 2, output);
        Assert.DoesNotContain("s3cret-greeting-value", output, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(harness.Host, root.GetProperty("host").GetString());
        Assert.True(root.GetProperty("has_changes").GetBoolean());
        Assert.Equal(0, root.GetProperty("problems").GetArrayLength());
        var steps = root.GetProperty("steps").EnumerateArray()
            .Select(step => (Action: step.GetProperty("action").GetString(), Service: step.GetProperty("service").GetString(), Cause: step.GetProperty("cause").GetString()))
            .ToList();
        Assert.Equal(
            [
                ($"replace container {harness.Host}-web-1 ({harness.Host}/web #1, start-first)", $"{harness.Host}/web", "config changed: environment"),
                ($"replace container {harness.Host}-web-2 ({harness.Host}/web #2, start-first)", $"{harness.Host}/web", "config changed: environment"),
            ],
            steps.Where(step => step.Action!.StartsWith("replace", StringComparison.Ordinal)).ToList());

        // The graph: numbered steps, the second replica after the first (parallelism 1), each with the
        // engine calls apply makes and what undoes them.
        var replacements = root.GetProperty("steps").EnumerateArray().Where(step => step.GetProperty("action").GetString()!.StartsWith("replace", StringComparison.Ordinal)).ToList();
        Assert.Equal([replacements[0].GetProperty("id").GetInt32()], replacements[1].GetProperty("after").EnumerateArray().Select(id => id.GetInt32()).ToList());
        var newName = $"{harness.Host}-web-1-next-";
        Assert.StartsWith($"create {newName}", replacements[0].GetProperty("operations")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal($"rename {newName}", replacements[0].GetProperty("operations").EnumerateArray().Last().GetString()![..(7 + newName.Length)]);
        Assert.StartsWith($"remove {newName}", replacements[0].GetProperty("on_gate_failure")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("start-first", replacements[0].GetProperty("order").GetString());
    }

    [Fact]
    public async Task Plan_NoEngineAtTheEndpoint_IsAClearErrorNotACrash()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");

        var (exitCode, output) = await BerthProcess.RunAsync(Timeout,
            "--docker-host", "unix:///nonexistent/docker.sock", "--state-dir", state.Directory, "plan", "--repo", repository.Directory, "--host", harness.Host);

        Assert.Equal(1, exitCode);
        Assert.Contains("cannot reach the Docker Engine at unix:///nonexistent/docker.sock", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_ServiceWithAProblemNextToPendingChanges_ExitsOneLikeApplyWould()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{}}\nstacks:\n  {harness.Host}:\n    compose: compose.yaml\n    hosts: [{harness.Host}]\n");
        repository.Write("compose.yaml", $"""
            services:
              web:
                image: {TestImages.BusyboxV1}
                command: ["sleep", "3600"]
              offline:
                image: berth-test/never-built:{harness.Host}
                pull_policy: never
              proxied:
                image: {TestImages.BusyboxV1}
                networks: [edge]
            networks:
              edge:
                external: true
                name: berth-missing-{harness.Host}
            """);

        var (exitCode, output) = await BerthProcess.RunAsync(Timeout,
            "--state-dir", state.Directory, "plan", "--repo", repository.Directory, "--host", harness.Host);

        Assert.True(exitCode == 1, output);
        Assert.Contains($"create container {harness.Host}-web-1", output, StringComparison.Ordinal);
        Assert.Contains($"error: {harness.Host}/offline: image berth-test/never-built:{harness.Host} is not present locally and pull_policy is never", output, StringComparison.Ordinal);
        Assert.Contains($"error: {harness.Host}/edge: external network berth-missing-{harness.Host} does not exist", output, StringComparison.Ordinal);
        Assert.Contains($"error: {harness.Host}/proxied: held back", output, StringComparison.Ordinal);
    }
}
