using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Health;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Execution;

/// <summary>
/// Rolls the replacements of one service out in batches, with Swarm's vocabulary: parallelism, delay,
/// max_failure_ratio, failure_action (rollback / pause / continue). Never rolls back a rollback.
/// </summary>
/// <remarks>
/// A start-first replacement hands the rollout on once the old container is out of the names
/// (<see cref="ReplacementOutcome.Finishing"/>): the next batch does not wait for the old one's grace
/// period. Everything a replacement left running is awaited before a rollback (it goes by the canonical
/// names the renames give) and before the rollout reports.
/// </remarks>
public sealed class RolloutRunner(ContainerReplacer replacer, TimeProvider timeProvider)
{
    public async Task<(ServiceOutcome Outcome, ImmutableArray<StepOutcome> Steps)> RunAsync(
        IReadOnlyList<ReplaceContainerStep> replacements, ExecutionScope scope, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        var finishing = new ConcurrentQueue<(ReplaceContainerStep Step, Task Finishing)>();
        try
        {
            return await RunBatchesAsync(replacements, scope, progress, finishing, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // An engine outage or a cancellation ends the rollout: what runs alongside ends before the
            // pass does (its own error, if any, is the same outage).
#pragma warning disable CA1031 // the error that ended the rollout is the one rethrown
            try
            {
                await FinishedAsync(finishing).ConfigureAwait(false);
            }
            catch
            {
            }
#pragma warning restore CA1031

            throw;
        }
    }

    private async Task<(ServiceOutcome Outcome, ImmutableArray<StepOutcome> Steps)> RunBatchesAsync(
        IReadOnlyList<ReplaceContainerStep> replacements, ExecutionScope scope, Action<ProgressEvent> progress,
        ConcurrentQueue<(ReplaceContainerStep Step, Task Finishing)> finishing, CancellationToken cancellationToken)
    {
        var service = replacements[0].Service;
        var policy = service.Update;
        var stepOutcomes = ImmutableArray.CreateBuilder<StepOutcome>();
        var replaced = new List<ReplaceContainerStep>();
        var failures = new List<GateEvidence>();
        var batchSize = policy.Parallelism <= 0 ? replacements.Count : policy.Parallelism;
        var stoppedEarly = false;

        for (var batchStart = 0; batchStart < replacements.Count; batchStart += batchSize)
        {
            if (batchStart > 0 && policy.Delay > TimeSpan.Zero)
            {
                await Task.Delay(policy.Delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }

            var batch = replacements.Skip(batchStart).Take(batchSize).ToList();
            var results = await Task.WhenAll(batch.Select(step => ReplaceOneAsync(step, scope, progress, finishing, cancellationToken))).ConfigureAwait(false);
            foreach (var (step, evidence) in batch.Zip(results))
            {
                if (evidence is null)
                {
                    replaced.Add(step);
                    stepOutcomes.Add(new StepOutcome(step, StepResult.Succeeded, "replaced"));
                }
                else
                {
                    failures.Add(evidence);
                    stepOutcomes.Add(new StepOutcome(step, StepResult.Failed, evidence.Reason, evidence));
                }
            }

            // max_failure_ratio: the fraction of the whole rollout allowed to fail before the
            // failure action applies (0 = any failure).
            var failureRatio = (double)failures.Count / replacements.Count;
            if (failures.Count > 0 && failureRatio > policy.MaxFailureRatio && policy.FailureAction != FailureAction.Continue)
            {
                stoppedEarly = true;
                break;
            }
        }

        if (await FinishedAsync(finishing).ConfigureAwait(false) is { } unfinished)
        {
            // A proven replica whose old container could not be removed (or renamed after it): the host's
            // state, not the revision's fault; no rollback by names that may not be in place. The next
            // pass finishes the replacement from its labels (Planner: leftovers).
            return (new ServiceOutcome(service.QualifiedName, RolloutResult.Failed, unfinished, failures.FirstOrDefault()) { Failure = FailureKind.Host }, SkipRest(replacements, stepOutcomes));
        }

        if (failures.Count == 0 || (!stoppedEarly && (double)failures.Count / replacements.Count <= policy.MaxFailureRatio))
        {
            var message = failures.Count == 0
                ? $"{replacements.Count.ToString(CultureInfo.InvariantCulture)} replica(s) replaced"
                : $"{replaced.Count.ToString(CultureInfo.InvariantCulture)} replaced, {failures.Count.ToString(CultureInfo.InvariantCulture)} failed within max_failure_ratio";
            return (new ServiceOutcome(service.QualifiedName, RolloutResult.Succeeded, message, failures.FirstOrDefault()), SkipRest(replacements, stepOutcomes));
        }

        var firstFailure = failures[0];
        if (policy.FailureAction == FailureAction.Continue)
        {
            return (new ServiceOutcome(service.QualifiedName, RolloutResult.Failed, $"{failures.Count.ToString(CultureInfo.InvariantCulture)} replica(s) failed (failure_action: continue)", firstFailure), SkipRest(replacements, stepOutcomes));
        }

        if (policy.FailureAction == FailureAction.Pause || replaced.Count == 0)
        {
            var result = policy.FailureAction == FailureAction.Pause ? RolloutResult.Paused : RolloutResult.RolledBack;
            var message = result == RolloutResult.Paused
                ? "rollout paused after a failed health gate (failure_action: pause)"
                : "rolled back: the new container failed its health gate; the previous one kept serving";
            return (new ServiceOutcome(service.QualifiedName, result, message, firstFailure), SkipRest(replacements, stepOutcomes));
        }

        // Roll back the replicas this rollout already replaced, to where the plan says (the previous spec
        // by its rollback order), with the same health gates. A failure here pauses: never roll back a rollback.
        var rollbacks = replaced.Select(step => step.RollbackStep()).ToList();
        if (replaced.FirstOrDefault(step => step.RollbackRefusal is not null) is { } refused)
        {
            return (new ServiceOutcome(service.QualifiedName, RolloutResult.Paused,
                $"rollout failed and the previous config is refused by this host's policy, so it was not rolled back to; paused: {refused.RollbackRefusal}", firstFailure), SkipRest(replacements, stepOutcomes));
        }

        if (rollbacks.Any(step => step is null))
        {
            return (new ServiceOutcome(service.QualifiedName, RolloutResult.Paused, "rollout failed and the previous spec is unknown, so nothing could be rolled back; paused", firstFailure), SkipRest(replacements, stepOutcomes));
        }

        // The revision has failed: the previous config runs on the previous revision's files.
        scope.RestorePreviousFiles?.Invoke();
        progress(new ProgressEvent(service.QualifiedName, $"rolling back {replaced.Count.ToString(CultureInfo.InvariantCulture)} replica(s) to the previous config"));
        foreach (var back in rollbacks)
        {
            var evidence = await ReplaceOneAsync(back!, scope, progress, finishing, cancellationToken).ConfigureAwait(false);
            if (evidence is not null)
            {
                await FinishedAsync(finishing).ConfigureAwait(false);
                return (new ServiceOutcome(service.QualifiedName, RolloutResult.Paused, $"rollback failed too; paused (never roll back a rollback): {evidence.Reason}", firstFailure), SkipRest(replacements, stepOutcomes));
            }
        }

        if (await FinishedAsync(finishing).ConfigureAwait(false) is { } rollbackUnfinished)
        {
            return (new ServiceOutcome(service.QualifiedName, RolloutResult.Paused, $"rolled back, but {rollbackUnfinished}", firstFailure) { Failure = FailureKind.Host }, SkipRest(replacements, stepOutcomes));
        }

        return (new ServiceOutcome(service.QualifiedName, RolloutResult.RolledBack, "rolled back to the previous config after a failed health gate", firstFailure), SkipRest(replacements, stepOutcomes));
    }

    private async Task<GateEvidence?> ReplaceOneAsync(
        ReplaceContainerStep step, ExecutionScope scope, Action<ProgressEvent> progress, ConcurrentQueue<(ReplaceContainerStep Step, Task Finishing)> finishing, CancellationToken cancellationToken)
    {
        var service = step.Service.QualifiedName;
        progress(new ProgressEvent(service, step.Describe()));
        try
        {
            var outcome = await replacer.ReplaceAsync(step, scope, message => progress(new ProgressEvent(service, message)), cancellationToken).ConfigureAwait(false);
            finishing.Enqueue((step, outcome.Finishing));
            return outcome.Evidence;
        }
        catch (Engine.EngineException exception) when (!Engine.EngineErrors.IsTransient(exception) && !Engine.EngineErrors.IsVanished(exception))
        {
            // A 5xx is not evidence against the new version, nor is a container removed by someone else
            // during the pass: they propagate, and the pass is retried.
            return new GateEvidence(step.ContainerName, $"engine error: {exception.Message}", null, null, string.Empty);
        }
    }

    /// <summary>
    /// Waits for everything the replacements left running (<see cref="ReplacementOutcome.Finishing"/>).
    /// </summary>
    /// <returns>Why one could not finish (the engine refused: the host's state), else null.</returns>
    /// <remarks>A transient engine error or a cancellation propagates, as it does from a replacement.</remarks>
    private static async Task<string?> FinishedAsync(ConcurrentQueue<(ReplaceContainerStep Step, Task Finishing)> finishing)
    {
        var all = new List<(ReplaceContainerStep Step, Task Finishing)>();
        while (finishing.TryDequeue(out var item))
        {
            all.Add(item);
        }

        try
        {
            await Task.WhenAll(all.Select(item => item.Finishing)).ConfigureAwait(false);
            return null;
        }
        catch (Exception) when (all.All(item => item.Finishing.IsCompletedSuccessfully
            || item.Finishing.Exception?.InnerException is Engine.EngineException refusal && !Engine.EngineErrors.IsTransient(refusal)))
        {
            var (step, failed) = all.First(item => !item.Finishing.IsCompletedSuccessfully);
            return $"finishing the replacement of {step.ContainerName} failed: {failed.Exception!.InnerException!.Message}; the next pass finishes it";
        }
    }

    private static ImmutableArray<StepOutcome> SkipRest(IReadOnlyList<ReplaceContainerStep> all, ImmutableArray<StepOutcome>.Builder done)
    {
        foreach (var step in all.Where(step => done.All(outcome => outcome.Step != step)))
        {
            done.Add(new StepOutcome(step, StepResult.Skipped, "not attempted: the rollout stopped"));
        }

        return done.ToImmutable();
    }
}
