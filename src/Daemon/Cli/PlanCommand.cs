using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
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
        var driftCheck = new Option<bool>("--drift-check")
        {
            Description = "Also inspect every replica for changes made in place (docker update of limits or restart policy); one request per container",
        };
        var command = new Command("plan", "Show what `apply` would change on this host, and why (exit 0: none, 2: changes pending, 1: error or problems)");
        source.AddTo(command);
        var waveGate = new PlanWaveGate();
        waveGate.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(warnDrift);
        command.Options.Add(driftCheck);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            using var context = new CommandContext(parseResult, readOnly: true);
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
            context.BeginPass(source, parseResult);
            var loaded = await context.LoadOrReportAsync("plan", source, parseResult, stderr, cancellationToken, privateGitCache).ConfigureAwait(false);
            if (loaded is null)
            {
                return ExitCodes.Error;
            }

            Plan plan;
            try
            {
                plan = await context.Reconciler.PlanAsync(loaded.State!, parseResult.GetValue(warnDrift) ? DriftMode.Warn : DriftMode.Repair, cancellationToken, loaded.Revision,
                    parseResult.GetValue(driftCheck) ? Berth.Reconciler.Observe.DriftCheckScope.Everything : Berth.Reconciler.Observe.DriftCheckScope.None).ConfigureAwait(false);
            }
            catch (EngineException exception)
            {
                stderr.WriteLine($"berth plan: {context.EngineFailure(exception)}");
                return ExitCodes.Error;
            }

            // A host of a later wave: the daemon may hold this commit (docs/fleet.md, "Waves"); plan says so.
            var wave = await waveGate.DescribeAsync(parseResult, loaded.State!.Wave, loaded.Revision!, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(PlanJson.From(plan, loaded.Revision) with { Wave = wave }, PlanJsonContext.Default.PlanJson));
            }
            else
            {
                stdout.Write($"revision {loaded.Revision}\n{(wave is null ? "" : wave + "\n")}{PlanGraphText.Render(plan)}");
            }

            // Any problem (refused state, held-back service, a name taken by a foreign container, a
            // missing external network or never-pulled image) means `apply` would not converge and
            // exit 1: plan says so too, so a CI gate on `plan` cannot pass what `apply` fails.
            return !plan.Problems.IsEmpty ? ExitCodes.Error : plan.HasChanges ? ExitCodes.ChangesPending : ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>`plan --json`'s serializer, generated at build time (Native AOT has no reflection serializer).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PlanJson))]
internal sealed partial class PlanJsonContext : JsonSerializerContext;

/// <summary>
/// The plan as JSON: its graph, each step with its number, operation, owner, cause and the steps it
/// waits for; a replacement with its operations and undo. Never environment values.
/// </summary>
internal sealed record PlanJson(string Host, string? Revision, bool HasChanges, IReadOnlyList<PlanJson.Step> Steps, IReadOnlyList<PlanJson.Problem> Problems, IReadOnlyList<PlanJson.Notice> Notices)
{
    /// <summary>For a host of a later wave: whether the daemon would apply the commit now, or what it waits for (docs/fleet.md, "Waves"); absent otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Wave { get; init; }

    /// <param name="Id">The step's number (#n in the text).</param>
    /// <param name="After">Numbers of the steps it waits for.</param>
    /// <param name="Operations">A replacement's engine calls, in order; null for other steps.</param>
    /// <param name="OnGateFailure">What undoes a replacement when its gate fails.</param>
    /// <param name="OnRolloutFailure">What a failed rollout of the service does to this replica.</param>
    public sealed record Step(
        int Id,
        string Action,
        string? Service,
        string Cause,
        IReadOnlyList<int> After,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Order = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OrderReason = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Operations = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? OnGateFailure = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OnRolloutFailure = null);

    public sealed record Problem(string? Service, string Message);

    public sealed record Notice(string Resource, string Message);

    public static PlanJson From(Plan plan, string? revision) => new(
        plan.Host,
        revision,
        plan.HasChanges,
        [.. plan.Nodes.Select(StepOf)],
        [.. plan.Problems.Select(problem => new Problem(problem.QualifiedService, problem.Message))],
        [.. plan.Notices.Select(notice => new Notice(notice.Resource, notice.Message))]);

    private static Step StepOf(PlanNode node)
    {
        var step = new Step(node.Id, node.Step.Action, node.Step.QualifiedService, node.Step.Cause, node.After);
        if (node.Step is not ReplaceContainerStep replace)
        {
            return step;
        }

        var procedure = replace.Procedure;
        return step with
        {
            Order = replace.Order == Berth.Reconciler.Spec.Model.UpdateOrder.StartFirst ? "start-first" : "stop-first",
            OrderReason = replace.OrderReason,
            Operations = [.. procedure.Operations.Select(operation => operation.Description)],
            OnGateFailure = [.. procedure.OnGateFailure.Select(operation => operation.Description)],
            OnRolloutFailure = PlanGraphText.RolloutFailure(replace),
        };
    }
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

