using System.Collections.Immutable;
using Berth.Daemon.Configuration;
using Berth.Daemon.Loop;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Git;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Metrics;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Reconciler.Waves;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Passes;

/// <summary>
/// The daemon's reconcile pass: fetch the followed branch (one cheap remote check when it did not
/// move), load and validate the commit's tree, then observe, plan, execute and record through
/// <see cref="HostReconciler"/>. The outcome tells the loop how to schedule (Flux's error kinds):
/// Transient = retried with backoff (git or engine unreachable); Stalled = a person must act
/// (invalid commit, refused signature, failed rollout, unsafe desired state) while what runs keeps
/// running; Converged/Changed = the host matches the commit.
/// </summary>
internal sealed partial class GitOpsPass(
    DaemonConfig config,
    GitSource gitSource,
    HostReconciler reconciler,
    StateStore stateStore,
    BerthMetrics metrics,
    TimeProvider timeProvider,
    ILogger<GitOpsPass> logger,
    ApplyObservers? applyObservers = null,
    IWaveGateSource? waveGate = null,
    ImageCollectionSchedule? imageCollection = null,
    Reconciler.Observe.ObservationCache? observationCache = null,
    DesiredStateCache? desiredStateCache = null) : IReconcilePass
{
    // Commit statuses ("pending") and notifications (drift repaired, orphaned volumes): see IApplyObserver.
    private readonly ApplyObservers observers = applyObservers ?? ApplyObservers.None;

    public Task<PassResult> RunAsync(PassTrigger trigger, CancellationToken cancellationToken) =>
        RunAsync(trigger, PassOptions.Default, cancellationToken);

    public async Task<PassResult> RunAsync(PassTrigger trigger, PassOptions options, CancellationToken cancellationToken)
    {
        // Passes never overlap, so what the informer and the commit cache counted meanwhile is this pass's.
        var before = observationCache?.Counts;
        var (keptBefore, loadedBefore) = (desiredStateCache?.Reused, desiredStateCache?.Loaded);
        var result = await RunPassAsync(options, cancellationToken).ConfigureAwait(false);
        if (desiredStateCache is not null)
        {
            result = result with
            {
                CommitLoad = desiredStateCache.Reused > keptBefore ? "kept" : desiredStateCache.Loaded > loadedBefore ? "loaded" : null,
            };
        }

        if (observationCache is null || before is not { } counted)
        {
            return result;
        }

        var after = observationCache.Counts;
        return result with { Observation = DescribeObservation(after.Cache - counted.Cache, after.Engine - counted.Engine) };
    }

    /// <summary>"cache", "engine", "cache + engine", "engine ×2"; null when the pass did not observe.</summary>
    internal static string? DescribeObservation(long fromCache, long fromEngine)
    {
        static string? Part(string source, long count) => count switch
        {
            <= 0 => null,
            1 => source,
            _ => $"{source} ×{count}",
        };

        var parts = new[] { Part("cache", fromCache), Part("engine", fromEngine) }.OfType<string>().ToList();
        return parts.Count == 0 ? null : string.Join(" + ", parts);
    }

    private async Task<PassResult> RunPassAsync(PassOptions options, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        TimeSpan Elapsed() => timeProvider.GetElapsedTime(started);

        var loaded = await DesiredStateSource.LoadAsync(
            new DesiredStateOrigin.Git(gitSource.Options), config.Host, LoadOptions(config), gitSource, config.StateDir, cancellationToken, cache: desiredStateCache).ConfigureAwait(false);
        if (loaded.Git is { } git)
        {
            metrics.RecordGitRevision(git);
        }

        if (loaded.SourceError is { } sourceError)
        {
            await ObserveLastAppliedAsync(cancellationToken).ConfigureAwait(false);
            metrics.RecordPassError(Elapsed());
            return sourceError.IsTransient
                ? new PassResult(PassOutcome.Transient, loaded.Revision, $"git: {sourceError.Message}", Elapsed(), "SourceUnavailable")
                : new PassResult(PassOutcome.Stalled, loaded.Revision, $"git: {sourceError.Message}", Elapsed(), sourceError.Reason.ToString());
        }

        if (!loaded.SpecErrors.IsEmpty)
        {
            foreach (var error in loaded.SpecErrors)
            {
                LogSpecError(logger, Short(loaded.Revision), error.ToString());
            }

            metrics.RecordCommitRefused(CommitRefusalReason.Invalid, loaded.Revision ?? "");
            await ObserveLastAppliedAsync(cancellationToken).ConfigureAwait(false);
            metrics.RecordPassError(Elapsed());
            return new PassResult(PassOutcome.Stalled, loaded.Revision,
                $"commit {Short(loaded.Revision)} is invalid ({loaded.SpecErrors.Length} error(s)), keeping what runs; first: {loaded.SpecErrors[0]}",
                Elapsed(), "InvalidCommit");
        }

        // A host the inventory does not name runs nothing; applying that would at best say "no
        // changes" forever (a hostname that differs from the inventory's) and at worst remove what
        // runs. A person must fix the name: Stalled, keep what runs.
        if (loaded.HostNotInInventory is { } notInInventory)
        {
            metrics.RecordPassError(Elapsed());
            return new PassResult(PassOutcome.Stalled, loaded.Revision, notInInventory, Elapsed(), "HostNotInInventory");
        }

        // A host of a later wave applies the tip only once the earlier waves proved it; until then it
        // keeps applying its last applied commit (drift repair included) and says why (docs/fleet.md, "Waves").
        var wave = await GateAsync(loaded, cancellationToken).ConfigureAwait(false);
        if (wave.Held is { } held && wave.Instead is null)
        {
            await ObserveLastAppliedAsync(cancellationToken).ConfigureAwait(false);
            metrics.RecordPassError(Elapsed());
            return new PassResult(PassOutcome.Stalled, loaded.Revision, $"held: {held.Message}; nothing applied yet", Elapsed(), WaveHeldReason);
        }

        var toApply = wave.Instead ?? loaded;
        var desired = toApply.State!;
        observers.Starting(toApply.Revision!);
        ApplyResult result;
        // Which replicas to inspect for drift only an inspect shows (docs/reconcile.md, "Drift and the list").
        var driftCheck = observationCache?.TakeDriftCheck() ?? Reconciler.Observe.DriftCheckScope.None;
        var passReturned = false;
        try
        {
            result = await reconciler.ApplyAsync(desired, toApply.Revision!, new ApplyOptions { RetryFailed = options.RetryFailed, DriftCheck = driftCheck, MaxConcurrentStarts = config.Reconcile.MaxConcurrentStarts, MaxConcurrentPulls = config.Reconcile.MaxConcurrentPulls },
                progress => LogStep(logger, Short(toApply.Revision), progress.QualifiedService ?? "-", progress.Message), cancellationToken, toApply.Files).ConfigureAwait(false);
            passReturned = true;
        }
        catch (EngineException exception) when (EngineErrors.IsTransient(exception))
        {
            // The engine is down, restarting or did not answer in time: transient; the loop backs off
            // and resumes by itself.
            metrics.RecordPassError(Elapsed());
            return new PassResult(PassOutcome.Transient, toApply.Revision, $"Docker Engine unavailable: {exception.GetBaseException().Message}", Elapsed(), "EngineUnavailable");
        }
        catch (EngineException exception) when (EngineErrors.IsVanished(exception))
        {
            // A container (network, volume) the pass observed was removed while it worked, outside any
            // step that reports it: drift during the pass, not a refusal. Retried like an outage; the
            // next pass re-observes and converges, and nothing is held against the revision.
            metrics.RecordPassError(Elapsed());
            return new PassResult(PassOutcome.Transient, toApply.Revision, $"the host changed during the pass (removed since it was observed): {exception.Message}", Elapsed(), "ChangedDuringPass");
        }
        catch (EngineException exception)
        {
            // A refusal (4xx) that no step handled: the host's state, not an outage and not the revision's
            // fault (docs/reconcile.md, "Failed revisions"). A person must look; every pass re-plans it.
            metrics.RecordPassError(Elapsed());
            return new PassResult(PassOutcome.Stalled, toApply.Revision, $"the Docker Engine refused: {exception.Message}", Elapsed(), "EngineRefused");
        }
        finally
        {
            if (!passReturned)
            {
                observationCache?.PutBackDriftCheck(driftCheck);
            }
        }

        metrics.RecordPass(desired, result, Elapsed());
        observers.Finished(toApply.Revision!, result);
        var verdict = result.Verdict;
        if (verdict.RevisionApplied && imageCollection is not null)
        {
            await imageCollection.RunIfDueAsync(config.Host, cancellationToken).ConfigureAwait(false);
        }

        var services = ServiceStatuses.From(desired, result, timeProvider.GetUtcNow());
        if (wave.Held is { } heldBack && verdict.PassOutcome.Succeeded())
        {
            // The pass is about the commit that runs (the last applied one): what `lastApplied` shows.
            return new PassResult(verdict.PassOutcome, toApply.Revision,
                $"held: {heldBack.Message}; runs {Short(toApply.Revision)}: {verdict.Summary}", Elapsed(), WaveHeldReason, services);
        }

        return new PassResult(verdict.PassOutcome, toApply.Revision, $"{Short(toApply.Revision)}: {verdict.Summary}", Elapsed(), verdict.Reason, services);
    }

    /// <summary>
    /// A pass that ends without a desired state (git unreachable, invalid or refused commit) still
    /// observes the engine once, so the per-service replicas and health gauges follow what runs (a
    /// container that dies during a git outage shows) and exist after a restart in that state. An
    /// unreachable engine only leaves them as they were: the pass already reports its own error.
    /// </summary>
    private async Task ObserveLastAppliedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (lastApplied, observed) = await reconciler.ObserveLastAppliedAsync(config.Host, cancellationToken).ConfigureAwait(false);
            metrics.RefreshServiceState(lastApplied, observed);

            // What runs keeps running: a front restarted meanwhile gets its rules back without a commit.
            foreach (var problem in await reconciler.RouteFrontsAsync(config.Host, observed, cancellationToken).ConfigureAwait(false))
            {
                LogFrontRoutingFailed(logger, problem);
            }
        }
        catch (EngineException exception)
        {
            // Unavailable or refused: the gauges stay as they were; the pass reports its own error.
            LogObserveFailed(logger, exception.GetBaseException().Message);
        }
    }

    /// <summary>
    /// berth.yaml's `spec.hostEnvFiles`, read again on every pass (a rotated secret needs no restart).
    /// Their values are secrets: the spec loader never puts them in an error. And its `policy:`: a
    /// commit that violates it is refused like an invalid commit (held, Stalled, what runs keeps running).
    /// </summary>
    /// <remarks>The content key lives in the state directory: the same content hashes the same across restarts.</remarks>
    internal static SpecLoadOptions LoadOptions(DaemonConfig config) => new()
    {
        HostEnvFiles = config.Spec.HostEnvFiles,
        Policy = config.Policy,
        FileSources = new Reconciler.Secrets.Files.FileSourceOptions(config.Spec.HostSecretsDirectory, Reconciler.Secrets.Files.ContentKeyring.LoadOrCreate(config.StateDir)),
        // A new instance per pass: a key file replaced on disk is picked up by the next pass.
        AgeKey = config.Spec.AgeKeyFile is { } ageKeyFile ? new Reconciler.Secrets.Sops.AgeKeyFile(ageKeyFile) : null,
    };

    private static string Short(string? revision) => revision is { Length: > 12 } ? revision[..12] : revision ?? "(none)";

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not observe the engine for the per-service metrics: {Message}")]
    private static partial void LogObserveFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "front not programmed: {Message}")]
    private static partial void LogFrontRoutingFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "revision {Revision} is invalid: {Error}")]
    private static partial void LogSpecError(ILogger logger, string revision, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "revision {Revision} step {Service}: {Message}")]
    private static partial void LogStep(ILogger logger, string revision, string service, string message);
}
