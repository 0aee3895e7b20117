using System.CommandLine;
using System.Text.Json;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Planning;
using Berth.Reconciler.State;

namespace Berth.Daemon.Cli;

/// <summary>`berth plan`: what `apply` would change on this host, and why. Exit 0: none, 2: changes pending, 1: error or a problem that `apply` could not get past.</summary>
internal static class PlanCommand
{
    public static Command Build()
    {
        var source = new SourceOptions();
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON" };
        var warnDrift = new Option<bool>("--warn-drift") { Description = "Report drift (stopped, removed or re-created by hand) without planning its repair" };
        var command = new Command("plan", "Show what `apply` would change on this host, and why (exit 0: none, 2: changes pending, 1: error or problems)");
        source.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(warnDrift);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            using var context = new CommandContext(parseResult);
            // plan --git fetches into the state directory's git mirror, which needs its lock. When the
            // daemon holds it, a preview must still work ("every change can be previewed"): fetch into
            // a private temporary clone instead; plan writes nothing else in the state directory.
            StateDirectoryLock? stateLock = null;
            string? privateGitCache = null;
            if (CommandContext.IsGit(source, parseResult, context.StateDirectory))
            {
                try
                {
                    stateLock = StateDirectoryLock.Acquire(context.StateDirectory, "berth plan");
                }
                catch (StateDirectoryLockedException)
                {
                    privateGitCache = Directory.CreateTempSubdirectory("berth-plan-git-").FullName;
                    stderr.WriteLine($"berth plan: another berth process uses {context.StateDirectory}; fetching into a temporary clone for this preview");
                }
            }

            using var heldLock = stateLock;
            using var privateClone = privateGitCache is null ? null : new TemporaryDirectory(privateGitCache);
            var loaded = await context.LoadOrReportAsync("plan", source, parseResult, stderr, cancellationToken, privateGitCache).ConfigureAwait(false);
            if (loaded is null)
            {
                return ExitCodes.Error;
            }

            Plan plan;
            try
            {
                plan = await context.Reconciler.PlanAsync(loaded.State!, parseResult.GetValue(warnDrift) ? DriftMode.Warn : DriftMode.Repair, cancellationToken, loaded.Revision).ConfigureAwait(false);
            }
            catch (EngineException exception)
            {
                stderr.WriteLine($"berth plan: {context.EngineFailure(exception)}");
                return ExitCodes.Error;
            }

            if (parseResult.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(PlanJson.From(plan, loaded.Revision), PlanJson.Options));
            }
            else
            {
                stdout.Write($"revision {loaded.Revision}\n{plan}");
            }

            // Any problem (refused state, held-back service, a name taken by a foreign container, a
            // missing external network or never-pulled image) means `apply` would not converge and
            // exit 1: plan says so too, so a CI gate on `plan` cannot pass what `apply` fails.
            return !plan.Problems.IsEmpty ? ExitCodes.Error : plan.HasChanges ? ExitCodes.ChangesPending : ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>The plan as JSON: steps with operation, resource and cause; never environment values.</summary>
internal sealed record PlanJson(string Host, string? Revision, bool HasChanges, IReadOnlyList<PlanJson.Step> Steps, IReadOnlyList<PlanJson.Problem> Problems, IReadOnlyList<PlanJson.Notice> Notices)
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public sealed record Step(string Action, string? Service, string Cause);

    public sealed record Problem(string? Service, string Message);

    public sealed record Notice(string Resource, string Message);

    public static PlanJson From(Plan plan, string? revision) => new(
        plan.Host,
        revision,
        plan.HasChanges,
        [.. plan.Steps.Select(step => new Step(step.Action, step.QualifiedService, step.Cause))],
        [.. plan.Problems.Select(problem => new Problem(problem.QualifiedService, problem.Message))],
        [.. plan.Notices.Select(notice => new Notice(notice.Resource, notice.Message))]);
}

/// <summary>Deletes a directory berth created for one command when the command ends.</summary>
internal sealed class TemporaryDirectory(string path) : IDisposable
{
    public void Dispose()
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover under /tmp is harmless and holds no secret (no credentials are stored in a clone).
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

