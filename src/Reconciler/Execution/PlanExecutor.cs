using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Health;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Execution;

/// <summary>
/// Walks the plan's graph (<see cref="Plan.Nodes"/>). No decisions about WHETHER to act (the planner
/// made them), only how: the steps of one service run as a unit, its replacements as one rollout, and
/// every container it created or started must pass a health gate before the service counts as
/// deployed. A unit starts once every unit it has an edge to finished, at most
/// <paramref name="maxConcurrentUnits"/> at a time. A failed service holds back only itself and what
/// waits for it to be healthy; the rest of the plan goes on.
/// </summary>
/// <param name="maxConcurrentUnits">
/// Units (a service's changes, an image, a network, a removal) running at once; default no bound (tests set
/// one). What loads the host is bounded where it happens: creates and starts by <paramref name="maxConcurrentStarts"/>,
/// pulls by <paramref name="maxConcurrentPulls"/>. A unit spends most of its time in its health gate and
/// monitor window, which cost nothing (they wait for the pass's one event stream): a unit bound made a cold
/// deploy of N services ⌈N/4⌉ waves of a health interval plus the monitor window each (issue #16, measured:
/// 126 s for 30 services against compose's 17 s).
/// </param>
/// <param name="events">
/// The engine's event stream: the pass's health gates learn from it instead of polling by inspect.
/// Default none: the gates poll.
/// </param>
/// <param name="maxConcurrentStarts">
/// Containers being created or started at once (engine calls, <see cref="StartSlots"/>);
/// default <see cref="StartSlots.DefaultLimit"/>, the core count.
/// </param>
/// <param name="maxConcurrentPulls">
/// Image pulls running at once across the pass (<see cref="PullSlots"/>); default <see cref="PullSlots.DefaultLimit"/>.
/// </param>
/// <param name="pullProgressInterval">
/// How often a running pull says how far it got (<see cref="PullProgressReporter"/>); default
/// <see cref="PullProgressReporter.DefaultInterval"/>, 5 s. Not a user setting: tests make it short.
/// </param>
public sealed class PlanExecutor(IContainerEngine engine, TimeProvider timeProvider, IFrontRules frontRules, int? maxConcurrentUnits = null, IEngineEvents? events = null, int? maxConcurrentStarts = null, int? maxConcurrentPulls = null, TimeSpan? pullProgressInterval = null)
{
    public async Task<ExecutionReport> ExecuteAsync(Plan plan, ExecutionScope scope, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        // One event subscription for the whole pass, shared by all its gates (units run in parallel), and
        // started before anything is created so that no gate misses an event; it ends with the pass.
        await using var gateEvents = ContainerEventHub.Start(events, scope.Owner.HostIdentity, timeProvider);
        var gate = new HealthGate(engine, timeProvider, gateEvents);
        // One router per pass: it remembers which containers this pass admitted to or retired from the fronts' rules.
        var fronts = new FrontRouter(engine, frontRules, scope.Owner.HostIdentity, scope.ServicesWithFront);
        using var startSlots = new StartSlots(Math.Max(1, maxConcurrentStarts ?? StartSlots.DefaultLimit));
        using var pullSlots = new PullSlots(Math.Max(1, maxConcurrentPulls ?? PullSlots.DefaultLimit));
        var tools = new PassTools(gate, new RolloutRunner(new ContainerReplacer(engine, gate, timeProvider, fronts, startSlots), timeProvider), fronts, startSlots)
        {
            Jobs = new JobRunner(engine, timeProvider, startSlots),
            PullSlots = pullSlots,
        };
        var units = ExecutionUnit.From(plan);
        using var slots = new SemaphoreSlim(Math.Max(1, maxConcurrentUnits ?? units.Count));
        var finished = units.Select(_ => new TaskCompletionSource<GroupResult>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var running = units.Select((unit, index) => RunUnitAsync(unit, [.. unit.After.Select(dependency => finished[dependency].Task)], finished[index], slots, scope, tools, progress, cancellationToken)).ToList();
        await Task.WhenAll(running).ConfigureAwait(false);

        // The report lists outcomes in plan order (units by their first node), however they interleaved.
        var results = finished.Select(source => source.Task.Result).ToList();
        return new ExecutionReport(
            [.. results.SelectMany(result => result.Steps)],
            [.. results.Where(result => result.Outcome is not null).Select(result => result.Outcome!)]);
    }

    private sealed record GroupResult(ServiceOutcome? Outcome, IReadOnlyList<StepOutcome> Steps);

    /// <summary>What one pass's service groups share: the health gate, the rollout runner and the fronts' router.</summary>
    private sealed record PassTools(HealthGate Gate, RolloutRunner Rollouts, FrontRouter Fronts, StartSlots StartSlots)
    {
        /// <summary>Runs one-shot jobs to their exit (no gates, no rollout).</summary>
        public required JobRunner Jobs { get; init; }

        /// <summary>The pass's bound on image pulls at once.</summary>
        public required PullSlots PullSlots { get; init; }
    }

    private async Task RunUnitAsync(
        ExecutionUnit unit, List<Task<GroupResult>> dependencies, TaskCompletionSource<GroupResult> done, SemaphoreSlim slots,
        ExecutionScope scope, PassTools tools, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        try
        {
            var finished = await Task.WhenAll(dependencies).ConfigureAwait(false);
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                done.SetResult(unit.Owner is null
                    ? await RunResourceGroupAsync(unit.Steps, scope, tools.PullSlots, progress, cancellationToken).ConfigureAwait(false)
                    : await RunAfterAsync(finished, unit.Steps, scope, tools, progress, cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                slots.Release();
            }
        }
        catch (Exception exception)
        {
            // Cancellation or berth's own bug: the units waiting for this one end with it.
            done.TrySetException(exception);
            throw;
        }
    }

    private async Task<GroupResult> RunAfterAsync(
        GroupResult[] finished, List<PlanStep> group, ExecutionScope scope, PassTools tools, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        var failed = finished.Where(result => result.Outcome is { Result: not RolloutResult.Succeeded }).Select(result => result.Outcome!.QualifiedService).ToHashSet(StringComparer.Ordinal);

        // depends_on restart: true follows an update; a dependency whose rollout failed (undone, rolled
        // back, paused) was not updated, so the restart is not needed.
        var notNeeded = group.OfType<RestartContainerStep>().Where(restart => restart.Triggers.All(failed.Contains)).ToList();
        List<StepOutcome> skipped = [.. notNeeded.Select(restart => new StepOutcome(restart, StepResult.Skipped, $"not needed: {string.Join(", ", restart.Triggers)} failed in this pass"))];
        group = [.. group.Except(notNeeded)];
        if (group.Count == 0)
        {
            return new GroupResult(null, skipped);
        }

        // A dependant of a one-shot job that failed in this pass keeps what runs, and fails with the job's evidence.
        if (DependantBlock.Check(group, finished.Where(result => result.Outcome is not null).Select(result => result.Outcome!)) is { } jobFailure)
        {
            return new GroupResult(jobFailure, [.. skipped, .. group.Select(step => new StepOutcome(step, StepResult.Skipped, jobFailure.Message))]);
        }

        var blockedBy = BlockingFailure(group, failed);
        if (blockedBy is not null)
        {
            var qualifiedService = group[^1].QualifiedService!;
            return new GroupResult(new ServiceOutcome(qualifiedService, RolloutResult.Failed, blockedBy, null) { Failure = FailureKind.Host },
                [.. skipped, .. group.Select(step => new StepOutcome(step, StepResult.Skipped, blockedBy))]);
        }

        // The pull of this service's image failed: no container of it is touched (a stop-first replacement
        // would otherwise stop the old container before finding the image missing), and its rollout fails
        // with the registry's reason. The graph puts the pull before every container step of the service.
        if (finished.Where(result => result.Outcome is null).SelectMany(result => result.Steps)
                .FirstOrDefault(outcome => outcome is { Step: PullImageStep, Result: StepResult.Failed }) is { } failedPull)
        {
            var qualifiedService = group[^1].QualifiedService!;
            var reason = $"held back, nothing changed: {failedPull.Message}";
            return new GroupResult(new ServiceOutcome(qualifiedService, RolloutResult.Failed, reason, null) { Failure = failedPull.Failure == FailureKind.Transient ? FailureKind.Transient : FailureKind.Host },
                [.. skipped, .. group.Select(step => new StepOutcome(step, StepResult.Skipped, reason))]);
        }

        var result = await RunServiceGroupAsync(group, scope, tools, progress, cancellationToken).ConfigureAwait(false);
        return skipped.Count == 0 ? result : result with { Steps = [.. skipped, .. result.Steps] };
    }

    private async Task<GroupResult> RunResourceGroupAsync(List<PlanStep> group, ExecutionScope scope, PullSlots pullSlots, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        var outcomes = new List<StepOutcome>();
        foreach (var step in group)
        {
            outcomes.Add(await RunResourceStepAsync(step, scope, pullSlots, progress, cancellationToken).ConfigureAwait(false));
        }

        return new GroupResult(null, outcomes);
    }

    /// <summary>A wait for a dependency that failed in this pass fails the dependent without trying.</summary>
    private static string? BlockingFailure(IReadOnlyList<PlanStep> group, HashSet<string> failedServices)
    {
        foreach (var wait in group.OfType<WaitHealthyStep>().Where(wait => !wait.Optional))
        {
            if (failedServices.Contains(wait.Service.QualifiedName))
            {
                return $"held back: its dependency {wait.Service.QualifiedName} failed in this pass";
            }
        }

        return null;
    }

    private async Task<GroupResult> RunServiceGroupAsync(
        List<PlanStep> group, ExecutionScope scope, PassTools tools, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        var startedAt = timeProvider.GetTimestamp();
        var steps = new List<StepOutcome>();
        ServiceOutcome? outcome;
        try
        {
            outcome = await RunServiceStepsAsync(group, steps, scope, tools, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (EngineErrors.IsTransient(exception) && !cancellationToken.IsCancellationRequested)
        {
            // The engine stopped answering in the middle of this service (a gate's inspect, a rollout's
            // stop). Nothing here says the revision is bad: the pass is retried with backoff, and the
            // next plan picks up whatever state this left (deterministic names, replacement labels).
            var message = $"engine unavailable: {TransientMessage(exception)}";
            steps.AddRange(group.Where(step => steps.All(done => done.Step != step))
                .Select(step => new StepOutcome(step, StepResult.Failed, message) { Failure = FailureKind.Transient }));
            outcome = new ServiceOutcome(group[^1].QualifiedService!, RolloutResult.Failed, message, null) { Failure = FailureKind.Transient };
        }
        catch (EngineException exception) when (EngineErrors.IsVanished(exception) && !cancellationToken.IsCancellationRequested)
        {
            // A container (network, volume) this pass observed was removed meanwhile, by hand or by another
            // tool: drift during the pass. Not the revision's fault and not a lasting state of the host,
            // so it ends retryable like an outage, and the next pass plans from what is there now.
            var message = ChangedDuringPass(exception);
            steps.AddRange(group.Where(step => steps.All(done => done.Step != step))
                .Select(step => new StepOutcome(step, StepResult.Failed, message) { Failure = FailureKind.Transient }));
            outcome = new ServiceOutcome(group[^1].QualifiedService!, RolloutResult.Failed, message, null) { Failure = FailureKind.Transient };
        }
        catch (PlanOutdatedException exception)
        {
            // What runs changed between observe and now: nothing was done, the next pass plans from it.
            steps.AddRange(group.Where(step => steps.All(done => done.Step != step))
                .Select(step => new StepOutcome(step, StepResult.Failed, exception.Message) { Failure = FailureKind.Host }));
            outcome = new ServiceOutcome(group[^1].QualifiedService!, RolloutResult.Failed, exception.Message, null) { Failure = FailureKind.Host };
        }
        catch (FrontRoutingException exception)
        {
            // The host cannot program fronts (no static busybox, no iptables): its setup, not the
            // revision's fault. The front's rules are unchanged, so what served goes on serving; an
            // unproven replacement is cleaned up by the next pass.
            steps.AddRange(group.Where(step => steps.All(done => done.Step != step))
                .Select(step => new StepOutcome(step, StepResult.Failed, exception.Message) { Failure = FailureKind.Host }));
            outcome = new ServiceOutcome(group[^1].QualifiedService!, RolloutResult.Failed, exception.Message, null) { Failure = FailureKind.Host };
        }

        outcome = outcome is null ? null : outcome with { Duration = timeProvider.GetElapsedTime(startedAt) };
        if (outcome is { Result: not RolloutResult.Succeeded })
        {
            progress(new ProgressEvent(outcome.QualifiedService, $"{outcome.Result.ToString().ToLowerInvariant()}: {outcome.Message}"));
        }

        return new GroupResult(outcome, steps);
    }

    /// <summary>Runs one service's steps, adding each step's outcome to <paramref name="outcomes"/> as it finishes.</summary>
    private async Task<ServiceOutcome?> RunServiceStepsAsync(
        List<PlanStep> group, List<StepOutcome> outcomes, ExecutionScope scope, PassTools tools, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        // A front the spec no longer asks for goes only once the service converged without it (its
        // replicas carry the aliases again); until then it keeps forwarding to what runs.
        var frontRemovals = group.OfType<RemoveFrontStep>().ToList();
        var serviceSteps = group.Where(step => step is not WaitHealthyStep and not RemoveFrontStep).ToList();
        var qualifiedService = group.First(step => step is not WaitHealthyStep).QualifiedService!;
        var outcome = await RunServiceChangesAsync(group, serviceSteps, qualifiedService, outcomes, scope, tools, progress, cancellationToken).ConfigureAwait(false);
        // Any failed step (also one a max_failure_ratio tolerated) leaves a replica without the names.
        var converged = outcome is not { Result: not RolloutResult.Succeeded } && outcomes.All(done => done.Result != StepResult.Failed);
        foreach (var removal in frontRemovals)
        {
            if (!converged)
            {
                outcomes.Add(new StepOutcome(removal, StepResult.Skipped, "kept: the service did not converge without it"));
                continue;
            }

            progress(new ProgressEvent(qualifiedService, removal.Describe()));
            try
            {
                await engine.RemoveContainerAsync(removal.Front.Id, cancellationToken).ConfigureAwait(false);
                outcomes.Add(new StepOutcome(removal, StepResult.Succeeded, "removed"));
            }
            catch (EngineNotFoundException)
            {
                outcomes.Add(new StepOutcome(removal, StepResult.Succeeded, "already gone"));
            }
            catch (EngineException exception) when (!EngineErrors.IsTransient(exception))
            {
                // The host's state (a removal already in progress): the next pass plans it again.
                outcomes.Add(new StepOutcome(removal, StepResult.Failed, EngineError(exception)) { Failure = FailureKind.Host });
                outcome = new ServiceOutcome(qualifiedService, RolloutResult.Failed, $"{removal.Action} failed: {EngineError(exception)}", null) { Failure = FailureKind.Host };
            }
        }

        return outcome ?? (frontRemovals.Count > 0 ? new ServiceOutcome(qualifiedService, RolloutResult.Succeeded, "converged", null) : null);
    }

    private async Task<ServiceOutcome?> RunServiceChangesAsync(
        List<PlanStep> group, List<PlanStep> serviceSteps, string qualifiedService, List<StepOutcome> outcomes, ExecutionScope scope, PassTools tools, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        foreach (var wait in group.OfType<WaitHealthyStep>())
        {
            progress(new ProgressEvent(qualifiedService, wait.Describe()));
            var evidence = await WaitHealthyAsync(wait.Service, tools.Gate, cancellationToken).ConfigureAwait(false);
            if (evidence is not null && wait.Optional)
            {
                // required: false: Compose warns and goes on; so does berth, and says so.
                var warning = $"{wait.Service.QualifiedName} is not healthy ({evidence.Reason}); required: false, so {qualifiedService} goes on";
                progress(new ProgressEvent(qualifiedService, warning));
                outcomes.Add(new StepOutcome(wait, StepResult.Succeeded, warning));
                continue;
            }

            if (evidence is not null)
            {
                outcomes.Add(new StepOutcome(wait, StepResult.Failed, evidence.Reason, evidence));
                outcomes.AddRange(serviceSteps.Select(step => new StepOutcome(step, StepResult.Skipped, $"held back: {wait.Service.QualifiedName} is not healthy")));
                // The dependency's state, not this service's revision: re-planned on the next pass.
                return new ServiceOutcome(qualifiedService, RolloutResult.Failed, $"dependency {wait.Service.QualifiedName} did not become healthy", evidence) { Failure = FailureKind.Host };
            }

            outcomes.Add(new StepOutcome(wait, StepResult.Succeeded, "healthy"));
        }

        if (serviceSteps.Count == 0)
        {
            return null;
        }

        var service = serviceSteps.Select(step => step.DesiredService).FirstOrDefault(found => found is not null);
        if (service is { Job: true })
        {
            // A one-shot job runs to its exit instead of through health gates and a rollout.
            return await tools.Jobs.RunAsync(serviceSteps, qualifiedService, outcomes, scope, progress, cancellationToken).ConfigureAwait(false);
        }

        // 1. Removals, renames, creates and starts: quick engine calls, in plan order. A create and start
        // (or restart) runs under a start slot (StartSlots: bounded across the pass's parallel units), and
        // its container's gate begins at once, while the next steps go on.
        await using var gates = new StartedGates(tools.Gate, tools.StartSlots, cancellationToken);
        foreach (var step in serviceSteps.Where(step => step is not ReplaceContainerStep))
        {
            progress(new ProgressEvent(qualifiedService, step.Describe()));
            try
            {
                switch (step)
                {
                    case CreateContainerStep create:
                        await gates.StartAsync(step, create.Service, async () =>
                        {
                            var id = await engine.CreateContainerAsync(new ContainerCreateRequest(create.Service, create.Replica, create.ContainerName, scope.Owner, null, AttachAliases: true), cancellationToken).ConfigureAwait(false);
                            await engine.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
                            return id;
                        }).ConfigureAwait(false);
                        break;
                    case StartContainerStep start:
                        await gates.StartAsync(step, start.Service, async () =>
                        {
                            // Its secrets and configs may be gone with a reboot (they live on a tmpfs).
                            await engine.EnsureServiceFilesAsync(start.Service, scope.Owner, cancellationToken).ConfigureAwait(false);
                            await engine.StartContainerAsync(start.Container.Id, cancellationToken).ConfigureAwait(false);
                            return start.Container.Id;
                        }).ConfigureAwait(false);
                        break;
                    case RestartContainerStep restart:
                        await gates.StartAsync(step, restart.Service, async () =>
                        {
                            // Behind a front: out of its rules before it stops (as a replica being replaced), back in
                            // once it passed its gate (the routing after the gates; its address may have changed).
                            tools.Fronts.Retire(restart.Container.Id);
                            await tools.Fronts.RouteAsync(restart.Service.Stack, restart.Service.Name, cancellationToken).ConfigureAwait(false);
                            await engine.StopContainerAsync(restart.Container.Id, restart.Service.StopGrace(), cancellationToken).ConfigureAwait(false);
                            await engine.EnsureServiceFilesAsync(restart.Service, scope.Owner, cancellationToken).ConfigureAwait(false);
                            await engine.StartContainerAsync(restart.Container.Id, cancellationToken).ConfigureAwait(false);
                            tools.Fronts.Reinstate(restart.Container.Id);
                            return restart.Container.Id;
                        }).ConfigureAwait(false);
                        break;
                    case ReconnectNetworkStep reconnect:
                        await engine.ConnectReplicaAsync(reconnect.Container.Id, reconnect.Service, reconnect.Network, cancellationToken).ConfigureAwait(false);
                        // Behind a front, its address on that network is new: the rules follow it.
                        if (reconnect.Service.Front)
                        {
                            await tools.Fronts.RouteAsync(reconnect.Service.Stack, reconnect.Service.Name, cancellationToken).ConfigureAwait(false);
                        }

                        outcomes.Add(new StepOutcome(step, StepResult.Succeeded, "reconnected"));
                        break;
                    case UpdateContainerStep update:
                        await engine.UpdateContainerAsync(update.Container.Id, update.Resources, cancellationToken).ConfigureAwait(false);
                        outcomes.Add(new StepOutcome(step, StepResult.Succeeded, "updated"));
                        break;
                    case FinishReplacementStep finish:
                        await engine.RenameContainerAsync(finish.Replacement.Id, finish.ContainerName, cancellationToken).ConfigureAwait(false);
                        outcomes.Add(new StepOutcome(step, StepResult.Succeeded, "renamed"));
                        break;
                    case RemoveContainerStep remove:
                        // Out of the front's rules (if the service has one) before it stops: scale down, a duplicate.
                        tools.Fronts.Retire(remove.Container.Id);
                        await tools.Fronts.RouteAsync(remove.Container.Stack, remove.Container.Service, cancellationToken).ConfigureAwait(false);
                        await RemoveContainerAsync(remove.Container, service, cancellationToken).ConfigureAwait(false);
                        outcomes.Add(new StepOutcome(step, StepResult.Succeeded, "removed"));
                        break;
                    case EnsureFrontStep ensure:
                        await EnsureFrontAsync(ensure, scope, tools.Fronts, tools.StartSlots, cancellationToken).ConfigureAwait(false);
                        outcomes.Add(new StepOutcome(step, StepResult.Succeeded, "front forwards to the proven replicas"));
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected step in a service group: {step.GetType().Name}");
                }
            }
            catch (EngineException exception) when (exception.StatusCode is not null)
            {
                // A refusal (4xx: name in use, no such image) is about the host's state; a 5xx is transient,
                // and so is a container removed since the observation (drift: the next pass re-observes).
                // None says the revision is bad: only a failed health gate does.
                var vanished = EngineErrors.IsVanished(exception);
                var failure = EngineErrors.IsTransient(exception) || vanished ? FailureKind.Transient : FailureKind.Host;
                var message = vanished ? ChangedDuringPass(exception) : EngineError(exception);
                outcomes.Add(new StepOutcome(step, StepResult.Failed, message) { Failure = failure });
                return new ServiceOutcome(qualifiedService, RolloutResult.Failed, $"{step.Action} failed: {message}", null) { Failure = failure };
            }
        }

        // 2. A deploy is only a success when it is healthy: every container created or started passed its gate.
        if (gates.Count > 0 && service is not null)
        {
            var (gatedSteps, evidences) = await gates.AllDecidedAsync().ConfigureAwait(false);
            foreach (var (step, evidence) in gatedSteps.Zip(evidences))
            {
                outcomes.Add(evidence is null
                    ? new StepOutcome(step, StepResult.Succeeded, "healthy")
                    : new StepOutcome(step, StepResult.Failed, evidence.Reason, evidence));
            }

            // Behind a front, the containers that passed go into its rules now (those that failed do not).
            await tools.Fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);

            var firstFailure = evidences.FirstOrDefault(evidence => evidence is not null);
            if (firstFailure is not null)
            {
                return new ServiceOutcome(qualifiedService, RolloutResult.Failed, $"health gate failed: {firstFailure.Reason}", firstFailure) { Failure = FailureKind.Unhealthy };
            }
        }

        // 3. Replacements: one rollout for the service.
        var replacements = serviceSteps.OfType<ReplaceContainerStep>().ToList();
        if (replacements.Count > 0)
        {
            var (outcome, rolloutSteps) = await tools.Rollouts.RunAsync(replacements, scope, progress, cancellationToken).ConfigureAwait(false);
            outcomes.AddRange(rolloutSteps);
            return outcome;
        }

        return new ServiceOutcome(qualifiedService, RolloutResult.Succeeded, "converged", null);
    }

    /// <summary>
    /// Creates the front without the service's names, installs its rules, and only then gives it the
    /// names (a reconnect per network; the rules do not depend on its addresses). A front whose rules
    /// cannot be installed is removed again: it must never answer for the service without forwarding.
    /// </summary>
    private async Task EnsureFrontAsync(EnsureFrontStep ensure, ExecutionScope scope, FrontRouter fronts, StartSlots startSlots, CancellationToken cancellationToken)
    {
        if (ensure.Existing is { } stale)
        {
            await engine.RemoveContainerAsync(stale.Id, cancellationToken).ConfigureAwait(false);
        }

        string frontId;
        // A front's create and start take a start slot like any container's (units have no bound of their own).
        using (await startSlots.EnterAsync(cancellationToken).ConfigureAwait(false))
        {
            frontId = await engine.CreateFrontAsync(ensure.Front, scope.Owner, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            using (await startSlots.EnterAsync(cancellationToken).ConfigureAwait(false))
            {
                await engine.StartContainerAsync(frontId, cancellationToken).ConfigureAwait(false);
            }

            await fronts.RouteAsync(ensure.Front.Stack, ensure.Front.Service, cancellationToken).ConfigureAwait(false);
        }
        catch (FrontRoutingException)
        {
            await engine.RemoveContainerAsync(frontId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        foreach (var network in ensure.Front.Networks)
        {
            await engine.ReconnectWithAliasesAsync(frontId, network.EngineName, network.Aliases, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until every running replica of the service passed the gate (no monitor window: already running).</summary>
    private async Task<GateEvidence?> WaitHealthyAsync(ServiceSpec service, HealthGate gate, CancellationToken cancellationToken)
    {
        for (var replica = 1; replica <= service.Replicas; replica++)
        {
            var name = ContainerNames.For(service, replica);
            GateEvidence? evidence;
            try
            {
                evidence = await gate.WaitAsync(name, service, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
            catch (EngineNotFoundException)
            {
                evidence = new GateEvidence(name, "does not exist", null, null, string.Empty);
            }

            if (evidence is not null)
            {
                return evidence;
            }
        }

        return null;
    }

    private async Task RemoveContainerAsync(ObservedContainer container, ServiceSpec? service, CancellationToken cancellationToken)
    {
        if (container.State == ContainerRunState.Running)
        {
            var grace = service?.StopGrace() ?? ServiceSpec.EngineDefaultStopGrace;
            await engine.StopContainerAsync(container.Id, grace, cancellationToken).ConfigureAwait(false);
        }

        await engine.RemoveContainerAsync(container.Id, cancellationToken).ConfigureAwait(false);
    }

    private async Task<StepOutcome> RunResourceStepAsync(PlanStep step, ExecutionScope scope, PullSlots pullSlots, Action<ProgressEvent> progress, CancellationToken cancellationToken)
    {
        progress(new ProgressEvent(null, step.Describe()));
        try
        {
            switch (step)
            {
                case PullImageStep pull:
                    // The slot is held for the pull alone; a unit waiting for it holds a unit slot, which is
                    // fine: pulls never wait for other units, so every slot holder finishes.
                    using (await pullSlots.EnterAsync(cancellationToken).ConfigureAwait(false))
                    {
                        // Its clock starts with the slot: the wait for one was already said by the step's line.
                        await using var pullProgress = PullProgressReporter.Start(pull.Image, pullProgressInterval ?? PullProgressReporter.DefaultInterval, timeProvider, progress);
                        await engine.PullImageAsync(pull.Image, pull.Platform, pullProgress.Messages, cancellationToken).ConfigureAwait(false);
                        await pullProgress.SucceededAsync().ConfigureAwait(false);
                    }

                    break;
                case CreateNetworkStep network:
                    await engine.CreateNetworkAsync(network.Network, network.Stack, scope.Owner, cancellationToken).ConfigureAwait(false);
                    break;
                case CreateVolumeStep volume:
                    await engine.CreateVolumeAsync(volume.Volume, volume.Stack, scope.Owner, cancellationToken).ConfigureAwait(false);
                    break;
                case RemoveContainerStep remove:
                    await RemoveContainerAsync(remove.Container, null, cancellationToken).ConfigureAwait(false);
                    break;
                case RemoveFrontStep front:
                    await engine.RemoveContainerAsync(front.Front.Id, cancellationToken).ConfigureAwait(false);
                    break;
                case RemoveNetworkStep network:
                    await engine.RemoveNetworkAsync(network.Network.Id, cancellationToken).ConfigureAwait(false);
                    break;
                case RemoveVolumeStep volume:
                    await engine.RemoveVolumeAsync(volume.Volume.Name, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidOperationException($"unexpected resource step: {step.GetType().Name}");
            }

            return new StepOutcome(step, StepResult.Succeeded, "done");
        }
        // Only what the engine answered: an unexpected step is berth's own bug and must not pass for
        // a failed removal that the next pass retries.
        catch (Exception exception) when (exception is EngineException { StatusCode: not null } or ImagePullException || (EngineErrors.IsTransient(exception) && !cancellationToken.IsCancellationRequested))
        {
            // A failed removal stays on the list: the next pass plans it again (Flux's habit). A pull
            // that failed on the network is transient: the pass is retried with backoff.
            var message = exception switch
            {
                EngineException apiException when EngineErrors.IsVanished(apiException) => ChangedDuringPass(apiException),
                EngineException { StatusCode: not null } apiException => EngineError(apiException),
                ImagePullException => exception.Message,
                _ => $"engine unavailable: {TransientMessage(exception)}",
            };
            progress(new ProgressEvent(null, $"{step.Action} failed: {message}"));
            return new StepOutcome(step, StepResult.Failed, message) { Failure = EngineErrors.IsTransient(exception) || EngineErrors.IsVanished(exception) ? FailureKind.Transient : FailureKind.Host };
        }
    }

    private static string ChangedDuringPass(EngineException exception) =>
        $"changed during the pass (removed since it was observed; the next pass re-observes): {EngineError(exception)}";

    private static string TransientMessage(Exception exception) =>
        exception is EngineException { StatusCode: not null } apiException ? EngineError(apiException) : exception.GetBaseException().Message;

    private static string EngineError(EngineException exception) =>
        $"engine answered {((int)exception.StatusCode!.Value).ToString(CultureInfo.InvariantCulture)}: {exception.ResponseBody?.Trim()}";
}
