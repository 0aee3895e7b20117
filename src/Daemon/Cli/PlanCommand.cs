using System.CommandLine;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Berth.Reconciler.Planning;
using Docker.DotNet;

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
            using var loaded = await context.LoadOrReportAsync("plan", source, parseResult, stderr, cancellationToken).ConfigureAwait(false);
            if (loaded is null)
            {
                return ExitCodes.Error;
            }

            Plan plan;
            try
            {
                plan = await context.Reconciler.PlanAsync(loaded.State!, parseResult.GetValue(warnDrift) ? DriftMode.Warn : DriftMode.Repair, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is HttpRequestException or SocketException or DockerApiException or TimeoutException)
            {
                stderr.WriteLine($"berth plan: {context.EngineUnreachable(exception)}");
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
