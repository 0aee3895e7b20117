using System.CommandLine;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;

namespace Berth.Daemon.Cli;

/// <summary>`berth apply`: converge this host once, printing each step; exit 0 only when it matches the desired state.</summary>
internal static class ApplyCommand
{
    public static Command Build()
    {
        var source = new SourceOptions();
        var warnDrift = new Option<bool>("--warn-drift") { Description = "Report drift without repairing it" };
        var driftCheck = new Option<bool>("--drift-check")
        {
            Description = "Also inspect every replica for changes made in place (docker update of limits or restart policy) and repair them; one request per container",
        };
        var retryFailed = new Option<bool>("--retry-failed") { Description = "Apply the revision even though its rollout failed before" };
        var maxConcurrentStarts = new Option<int?>("--max-concurrent-starts")
        {
            Description = "Containers created or started at once (default: the core count)",
        };
        maxConcurrentStarts.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--max-concurrent-starts must be at least 1");
            }
        });
        var maxConcurrentPulls = new Option<int?>("--max-concurrent-pulls")
        {
            Description = "Image pulls run at once (default: 3)",
        };
        maxConcurrentPulls.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--max-concurrent-pulls must be at least 1");
            }
        });
        var command = new Command("apply", "Converge this host to the desired state once (exit 0: converged, 1: failed, rolled back or refused)");
        source.AddTo(command);
        command.Options.Add(warnDrift);
        command.Options.Add(driftCheck);
        command.Options.Add(retryFailed);
        command.Options.Add(maxConcurrentStarts);
        command.Options.Add(maxConcurrentPulls);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            using var context = new CommandContext(parseResult);
            if (!context.TryLockStateDirectory("apply", stderr, out var stateLock))
            {
                return ExitCodes.Error;
            }

            using var heldLock = stateLock;
            context.BeginPass(source, parseResult);
            var loaded = await context.LoadOrReportAsync("apply", source, parseResult, stderr, cancellationToken).ConfigureAwait(false);
            if (loaded is null)
            {
                return ExitCodes.Error;
            }

            var options = new ApplyOptions
            {
                DriftMode = parseResult.GetValue(warnDrift) ? DriftMode.Warn : DriftMode.Repair,
                DriftCheck = parseResult.GetValue(driftCheck) ? Berth.Reconciler.Observe.DriftCheckScope.Everything : Berth.Reconciler.Observe.DriftCheckScope.None,
                RetryFailed = parseResult.GetValue(retryFailed),
                MaxConcurrentStarts = parseResult.GetValue(maxConcurrentStarts),
                MaxConcurrentPulls = parseResult.GetValue(maxConcurrentPulls),
            };
            ApplyResult result;
            try
            {
                stdout.WriteLine($"applying revision {loaded.Revision} to host {loaded.State!.Host}");
                result = await context.Reconciler.ApplyAsync(loaded.State, loaded.Revision!, options,
                    progress => stdout.WriteLine(progress.QualifiedService is null ? $"  {progress.Message}" : $"  [{progress.QualifiedService}] {progress.Message}"),
                    cancellationToken, loaded.Files).ConfigureAwait(false);
            }
            catch (EngineException exception)
            {
                stderr.WriteLine($"berth apply: {context.EngineFailure(exception)}");
                return ExitCodes.Error;
            }

            return Report(result, stdout, stderr);
        });
        return command;
    }

    private static int Report(ApplyResult result, TextWriter stdout, TextWriter stderr)
    {
        foreach (var notice in result.Plan.Notices)
        {
            stdout.WriteLine($"  note: {notice.Resource}: {notice.Message}");
        }

        foreach (var service in result.Report?.Services.Where(service => service.Result != RolloutResult.Succeeded) ?? [])
        {
            stderr.WriteLine($"{service.QualifiedService}: {service.Result.ToString().ToLowerInvariant()}: {service.Message}");
            if (service.Evidence is { } evidence)
            {
                stderr.WriteLine($"  evidence: {evidence}");
            }
        }

        // The verdict decides the exit code and the summary, as it decides the daemon's outcome and the state's history.
        var verdict = result.Verdict;
        switch (verdict.Outcome)
        {
            case ApplyOutcome.UpToDate:
                stdout.WriteLine("up to date: no changes");
                return ExitCodes.Success;
            case ApplyOutcome.Applied:
                stdout.WriteLine($"converged: {verdict.Summary}");
                return ExitCodes.Success;
            default:
                stderr.WriteLine($"berth apply: {verdict.Outcome.ToString().ToLowerInvariant()}: {verdict.Summary}");
                return ExitCodes.Error;
        }
    }
}
