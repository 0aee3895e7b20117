using System.Globalization;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Jobs;

/// <summary>
/// One-shot jobs (depends_on with condition service_completed_successfully) on the real engine: a
/// migration runs to exit 0 before web starts, a failing one keeps web's running container, an
/// unchanged one is not run again, a changed one runs again and web follows.
/// </summary>
public sealed class OneShotJobTests
{
    // The migration writes a marker into a shared volume after a second; web refuses to start without
    // it (it exits, which fails its health gate), so web running proves it started after the job.
    // migrateSettings: more keys of the migrate service, one per line, indented as its other keys.
    private static string Compose(string stack, string migrateCommand, string webVersion, string migrateVersion = "1", string migrateSettings = "") => $$"""
        name: {{stack}}
        services:
          migrate:
            image: berth-test/busybox:1
            command: ["sh", "-c", "{{migrateCommand}}"]
            environment: { VERSION: "{{migrateVersion}}" }
            volumes: [data:/data]
        {{migrateSettings}}
          web:
            image: berth-test/busybox:1
            command: ["sh", "-c", "test -f /data/migrated-$$MIGRATION || exit 1; exec sleep 3600"]
            init: true
            environment: { MIGRATION: "{{migrateVersion}}", WEB: "{{webVersion}}" }
            volumes: [data:/data]
            depends_on:
              migrate: { condition: service_completed_successfully }
        volumes:
          data: {}
        """;

    private static string Migration(string version = "1") => $"sleep 1; echo migrating to {version}; touch /data/migrated-{version}";

    private static DesiredState Load(TestRepository repository, ReconcileHarness harness, string compose)
    {
        var stack = harness.StackName;
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{}}\nstacks:\n  {stack}:\n    compose: stacks/{stack}/compose.yaml\n    hosts: [{harness.Host}]\n");
        repository.Write($"stacks/{stack}/compose.yaml", compose);
        var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host);
        Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        return loaded.State!;
    }

    private static DateTimeOffset Time(string engineTimestamp) => DateTimeOffset.Parse(engineTimestamp, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Apply_MigrationJob_RunsToExitZeroBeforeWebStarts()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        var desired = Load(repository, harness, Compose(stack, Migration(), webVersion: "1"));

        var plan = await harness.PlanAsync(desired);
        Assert.Contains($"run job {stack}-migrate-1 (exit 0 required before {stack}/web): not run yet", plan.ToString(), StringComparison.Ordinal);

        await harness.ApplyConvergedAsync(desired);

        var job = await harness.InspectAsync($"{stack}-migrate-1");
        var web = await harness.InspectAsync($"{stack}-web-1");
        Assert.Equal("exited", job.State.Status);
        Assert.Equal(0, job.State.ExitCode);
        Assert.True(web.State.Running);
        Assert.True(Time(web.State.StartedAt) >= Time(job.State.FinishedAt),
            $"web started at {web.State.StartedAt}, before the job finished at {job.State.FinishedAt}");
    }

    [Fact]
    public async Task Apply_JobExitsThree_FailsWebsRolloutWithTheExitCodeAndLogs_AndWebsOldContainerKeepsRunning()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        await harness.ApplyConvergedAsync(Load(repository, harness, Compose(stack, Migration(), webVersion: "1")));
        var webBefore = await harness.InspectAsync($"{stack}-web-1");

        var failing = Load(repository, harness, Compose(stack, "echo relation users is locked; exit 3", webVersion: "2", migrateVersion: "2"));
        var result = await harness.ApplyAsync(failing);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var webOutcome = result.Report!.Services.Single(service => service.QualifiedService == $"{stack}/web");
        Assert.Equal(RolloutResult.Failed, webOutcome.Result);
        Assert.Equal(3, webOutcome.Evidence?.ExitCode);
        Assert.Contains("relation users is locked", webOutcome.Evidence!.LastLogLines, StringComparison.Ordinal);
        Assert.Contains($"job {stack}/migrate did not complete successfully (job exited with code 3", webOutcome.Message, StringComparison.Ordinal);

        // Nothing running was replaced: web's container is the one from before, still running.
        var webAfter = await harness.InspectAsync($"{stack}-web-1");
        Assert.Equal(webBefore.ID, webAfter.ID);
        Assert.True(webAfter.State.Running);
        Assert.Equal(3, (await harness.InspectAsync($"{stack}-migrate-1")).State.ExitCode);

        // The same revision is not run again in a loop: the job and web are held until it changes.
        var jobId = (await harness.InspectAsync($"{stack}-migrate-1")).ID;
        var again = await harness.ApplyAsync(failing);
        Assert.Equal(ApplyOutcome.SkippedFailedRevision, again.Outcome);
        Assert.Equal(jobId, (await harness.InspectAsync($"{stack}-migrate-1")).ID);
        Assert.Equal(webBefore.ID, (await harness.InspectAsync($"{stack}-web-1")).ID);
    }

    [Fact]
    public async Task Apply_JobThatNeverExits_IsStoppedAtItsTimeout_AndWebKeepsItsRunningContainer()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        await harness.ApplyConvergedAsync(Load(repository, harness, Compose(stack, Migration(), webVersion: "1")));
        var webBefore = await harness.InspectAsync($"{stack}-web-1");

        // sleep as the container's process ignores SIGTERM: the stop also proves the grace period's SIGKILL.
        var hanging = Load(repository, harness, Compose(stack, "echo waiting for a lock; exec sleep 3600", webVersion: "2", migrateVersion: "2",
            migrateSettings: "    x-berth: { job_timeout: 2s }\n    stop_grace_period: 1s"));
        var result = await harness.ApplyAsync(hanging);

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var jobOutcome = result.Report!.Services.Single(service => service.QualifiedService == $"{stack}/migrate");
        Assert.Equal(RolloutResult.Failed, jobOutcome.Result);
        var webOutcome = result.Report.Services.Single(service => service.QualifiedService == $"{stack}/web");
        Assert.Equal(RolloutResult.Failed, webOutcome.Result);
        Assert.Contains($"job {stack}/migrate did not complete successfully (job did not exit within 2s", webOutcome.Message, StringComparison.Ordinal);
        Assert.Contains("waiting for a lock", webOutcome.Evidence!.LastLogLines, StringComparison.Ordinal);

        // The job's container is stopped and kept for its logs; web's running container is the one from before.
        var job = await harness.InspectAsync($"{stack}-migrate-1");
        Assert.False(job.State.Running);
        Assert.Equal("2", job.Config.Env.Single(variable => variable.StartsWith("VERSION=", StringComparison.Ordinal))["VERSION=".Length..]);
        var webAfter = await harness.InspectAsync($"{stack}-web-1");
        Assert.Equal(webBefore.ID, webAfter.ID);
        Assert.True(webAfter.State.Running);

        // Held like a failed job: the same revision does not run it again in a loop.
        Assert.Equal(ApplyOutcome.SkippedFailedRevision, (await harness.ApplyAsync(hanging)).Outcome);
        Assert.Equal(job.ID, (await harness.InspectAsync($"{stack}-migrate-1")).ID);
    }

    [Fact]
    public async Task Apply_UnchangedJob_IsNotRunAgain()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        var desired = Load(repository, harness, Compose(stack, Migration(), webVersion: "1"));
        await harness.ApplyConvergedAsync(desired);
        var before = await harness.ContainerIdsAsync();

        // The exited job is converged, not drift: no step, and the same containers.
        var plan = await harness.PlanAsync(desired);
        Assert.Equal($"plan for host {harness.Host}: no changes\n", plan.ToString());
        var result = await harness.ApplyAsync(desired);
        Assert.Equal(ApplyOutcome.UpToDate, result.Outcome);
        Assert.Equal(before, await harness.ContainerIdsAsync());
    }

    [Fact]
    public async Task Apply_ChangedJob_RunsAgain_ThenWebFollows()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var stack = harness.StackName;
        await harness.ApplyConvergedAsync(Load(repository, harness, Compose(stack, Migration(), webVersion: "1")));
        var jobBefore = await harness.InspectAsync($"{stack}-migrate-1");
        var webBefore = await harness.InspectAsync($"{stack}-web-1");

        // Version 2 of the migration writes another marker, and web 2 needs it: web must come after the job.
        var changed = Load(repository, harness, Compose(stack, Migration("2"), webVersion: "2", migrateVersion: "2"));
        var plan = (await harness.PlanAsync(changed)).ToString();
        Assert.Contains($"run job {stack}-migrate-1 (exit 0 required before {stack}/web): definition changed", plan, StringComparison.Ordinal);
        await harness.ApplyConvergedAsync(changed);

        var job = await harness.InspectAsync($"{stack}-migrate-1");
        var web = await harness.InspectAsync($"{stack}-web-1");
        Assert.NotEqual(jobBefore.ID, job.ID);
        Assert.Equal(0, job.State.ExitCode);
        Assert.NotEqual(webBefore.ID, web.ID);
        Assert.True(web.State.Running);
        Assert.True(Time(web.State.StartedAt) >= Time(job.State.FinishedAt),
            $"web started at {web.State.StartedAt}, before the job finished at {job.State.FinishedAt}");
    }
}
