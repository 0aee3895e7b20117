using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Health;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Execution;

/// <summary>
/// Replaces one replica's container, start-first or stop-first, behind a health gate. Only "how":
/// whether to replace, and in which order, was decided by the planner.
/// </summary>
/// <remarks>
/// The new container always starts under a temporary name, labelled with the name it will take
/// over, and joins its networks WITHOUT the service aliases. Docker's embedded DNS returns every
/// running container that carries an alias, healthy or not, so an alias attached at create would send
/// traffic to an unproven container. Aliases are attached only after the gate passed. Should berth
/// die at any point, the label and the temporary name let the next pass finish or undo the
/// replacement (Planner: leftovers).
/// Behind a front (x-berth.front) no container ever carries the aliases: the front's rules take the
/// new container in after its gate and the old one out before it stops, and the old one keeps its
/// interface while it drains, so connections it serves finish.
/// </remarks>
public sealed class ContainerReplacer(IContainerEngine engine, HealthGate gate, TimeProvider timeProvider, FrontRouter fronts, StartSlots startSlots)
{
    /// <summary>Carries out <see cref="ReplaceContainerStep.Procedure"/>, operation by operation.</summary>
    /// <returns>
    /// The gate's evidence when it failed (the old container is serving again), else null; and what still
    /// runs after <see cref="ReplicaOperationKind.ContinueRollout"/> (the old container's drain, stop and
    /// removal, the rename): await it before the pass reports or anything else touches this replica.
    /// </returns>
    /// <exception cref="PlanOutdatedException">The container to replace is not what the plan saw (re-planned on the next pass).</exception>
    public async Task<ReplacementOutcome> ReplaceAsync(ReplaceContainerStep step, ExecutionScope scope, Action<string> progress, CancellationToken cancellationToken)
    {
        var service = step.Service;
        var containerName = step.ContainerName;
        var temporaryName = step.TemporaryName;
        var procedure = step.Procedure;
        // A rollback's current container is the one this pass put under the canonical name.
        var currentReference = step.IsRollback ? containerName : step.Current.Id;

        // The front's rules name containers by id, and start-first takes the old one out of the names
        // on the networks where it carries them: both need a look at it. The same look guards the
        // plan's order: the planner chose start-first knowing of no anonymous volume, and if one
        // appeared since (a container re-created between observe and now), two containers must not
        // share it: nothing is done, and the next pass plans from what is there.
        var needsLook = procedure.Operations.Any(operation => operation.Kind is ReplicaOperationKind.TakeCurrentOutOfDns
            or ReplicaOperationKind.FrontSwap or ReplicaOperationKind.FrontRetireCurrent);
        var current = needsLook ? await engine.InspectContainerAsync(currentReference, cancellationToken).ConfigureAwait(false) : null;
        // A rollback is exempt: the spec it returns to mounts the anonymous volumes its own container
        // had (the planner chose stop-first if there were any), and nothing of what the new revision
        // added, which it never inherits.
        if (!step.IsRollback && step.Order == UpdateOrder.StartFirst && current is { AnonymousVolumePaths.IsEmpty: false })
        {
            throw new PlanOutdatedException($"{containerName} has anonymous volume(s) at {string.Join(", ", current.AnonymousVolumePaths)} that the plan did not see; not replaced start-first, re-planned on the next pass");
        }

        var currentId = current?.Id ?? currentReference;
        string? newId = null;
        return await CarryOutAsync(0).ConfigureAwait(false);

        async Task<ReplacementOutcome> CarryOutAsync(int from)
        {
            for (var index = from; index < procedure.Operations.Length; index++)
            {
                var operation = procedure.Operations[index];
                switch (operation.Kind)
                {
                    case ReplicaOperationKind.CreateReplacement:
                        // Start-first: no aliases until the gate passed (the old container serves meanwhile).
                        // Stop-first: the old container is stopped before the new one starts, so nothing is
                        // protected by holding the aliases back, and reconnecting later would drop a published
                        // port for a moment (measured: a second 0.2-0.5 s outage per rollout, docs/benchmarks.md).
                        var request = new ContainerCreateRequest(service, step.Replica, temporaryName, scope.Owner, containerName, AttachAliases: step.Order == UpdateOrder.StopFirst);
                        using (await startSlots.EnterAsync(cancellationToken).ConfigureAwait(false))
                        {
                            newId = await engine.CreateContainerAsync(request, cancellationToken).ConfigureAwait(false);
                        }

                        progress($"created {temporaryName}");
                        break;
                    case ReplicaOperationKind.FrontRetireCurrent:
                        fronts.Retire(currentId);
                        await fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);
                        break;
                    case ReplicaOperationKind.StopCurrent:
                        await engine.StopContainerAsync(currentReference, service.StopGrace(), cancellationToken).ConfigureAwait(false);
                        if (step.Order == UpdateOrder.StopFirst)
                        {
                            progress($"stopped {containerName}");
                        }

                        break;
                    case ReplicaOperationKind.StartReplacement:
                        break; // started inside the trial below, with the gate: a refusal to start is this version's failure
                    case ReplicaOperationKind.Gate:
                        var evidence = await TrialAsync(step, newId!, temporaryName, cancellationToken).ConfigureAwait(false);
                        if (evidence.Evidence is not null)
                        {
                            await UndoAsync(procedure.OnGateFailure, step, newId!, currentReference, currentId, scope, progress).ConfigureAwait(false);
                            if (evidence.Transient is not null)
                            {
                                // The old container serves again; an engine hiccup is not evidence against the new version.
                                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(evidence.Transient);
                            }

                            return new ReplacementOutcome(evidence.Evidence, Task.CompletedTask);
                        }

                        break;
                    case ReplicaOperationKind.GiveAliases:
                        // Invariant: the new container is healthy before it gets traffic, and before the old one goes.
                        await AttachAliasesAsync(newId!, service, cancellationToken).ConfigureAwait(false);
                        if (!step.BehindFront)
                        {
                            progress($"{temporaryName} passed its health gate and now receives traffic");
                        }

                        break;
                    case ReplicaOperationKind.FrontSwap:
                        // One atomic rule swap: new connections go to the new container, those already open on
                        // the old one stay there (conntrack) while it drains on its network.
                        fronts.Admit(newId!);
                        fronts.Retire(currentId);
                        await fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);
                        progress($"{temporaryName} passed its health gate; the front now forwards to it instead of {containerName}");
                        break;
                    case ReplicaOperationKind.TakeCurrentOutOfDns:
                        // Out of DNS first (where it answers to the service's name), so clients that resolved it
                        // just before finish during the drain, then stopped with its own signal and grace period.
                        foreach (var network in current!.Networks.Where(network => current.Aliases.TryGetValue(network, out var aliases) && aliases.Contains(service.Name)))
                        {
                            await engine.DisconnectNetworkAsync(currentId, network, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                    case ReplicaOperationKind.ContinueRollout:
                        // The old container gets no new connections: its drain, its stop (up to its grace
                        // period) and the rename after its removal no longer hold the rollout back.
                        return new ReplacementOutcome(null, CarryOutAsync(index + 1));
                    case ReplicaOperationKind.Drain:
                        // x-berth.drain, when set, overrides the default drain period.
                        await Task.Delay(service.Drain > TimeSpan.Zero ? service.Drain : scope.DrainPeriod, timeProvider, cancellationToken).ConfigureAwait(false);
                        break;
                    case ReplicaOperationKind.RemoveCurrent:
                        await engine.RemoveContainerAsync(currentReference, cancellationToken).ConfigureAwait(false);
                        break;
                    case ReplicaOperationKind.FrontAdmit:
                        fronts.Admit(newId!);
                        await fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);
                        break;
                    case ReplicaOperationKind.RenameReplacement:
                        // The old container is gone: the new one takes the canonical name.
                        await engine.RenameContainerAsync(newId!, containerName, cancellationToken).ConfigureAwait(false);
                        progress($"replaced {containerName}");
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected operation in a replacement: {operation.Kind}");
                }
            }

            return new ReplacementOutcome(null, Task.CompletedTask);
        }
    }

    /// <summary>Starts the new container and waits for its gate: a refusal to run it is this version's failure, like a failed gate.</summary>
    private async Task<(GateEvidence? Evidence, Exception? Transient)> TrialAsync(
        ReplaceContainerStep step, string newId, string temporaryName, CancellationToken cancellationToken)
    {
        try
        {
            using (await startSlots.EnterAsync(cancellationToken).ConfigureAwait(false))
            {
                await engine.StartContainerAsync(newId, cancellationToken).ConfigureAwait(false);
            }

            return (await gate.WaitAsync(newId, step.Service, step.Monitor, cancellationToken).ConfigureAwait(false), null);
        }
        catch (EngineException exception) when (!EngineErrors.IsTransient(exception) && !EngineErrors.IsVanished(exception))
        {
            // The engine refused to run it (a command that does not exist, a port taken).
            return (new GateEvidence(temporaryName, $"could not start: {exception.Message}", null, null, string.Empty), null);
        }
        catch (Exception exception) when (step.Order == UpdateOrder.StopFirst && (EngineErrors.IsTransient(exception) || EngineErrors.IsVanished(exception)) && !cancellationToken.IsCancellationRequested)
        {
            // Stop-first: the old container is down, so it is started again before the error goes up.
            // Start-first lets a transient error propagate at once (the old one still serves), leaving the
            // unproven container to the next pass's leftover cleanup. A container removed by someone else
            // meanwhile (404) is drift, not evidence against the new version: it goes up the same way.
            return (new GateEvidence(temporaryName, $"could not start: {exception.Message}", null, null, string.Empty), exception);
        }
    }

    /// <summary>The procedure's undo for a failed gate, as the planner listed it.</summary>
    private async Task UndoAsync(
        ImmutableArray<ReplicaOperation> undo, ReplaceContainerStep step, string newId, string currentReference, string currentId, ExecutionScope scope, Action<string> progress)
    {
        // Not cancellable: a half-done undo would leave the replica without a running container.
        foreach (var operation in undo)
        {
            switch (operation.Kind)
            {
                case ReplicaOperationKind.RemoveReplacement:
                    await engine.RemoveContainerAsync(newId, CancellationToken.None).ConfigureAwait(false);
                    break;
                case ReplicaOperationKind.RestorePreviousFiles:
                    // The revision failed: the old container must not start on its files.
                    scope.RestorePreviousFiles?.Invoke();
                    break;
                case ReplicaOperationKind.StartCurrent:
                    await engine.StartContainerAsync(currentReference, CancellationToken.None).ConfigureAwait(false);
                    progress($"restarted the previous {step.ContainerName}");
                    break;
                case ReplicaOperationKind.FrontReinstateCurrent:
                    // Restarted, it may have a new address: route from a fresh look.
                    fronts.Reinstate(currentId);
                    await fronts.RouteAsync(step.Service.Stack, step.Service.Name, CancellationToken.None).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidOperationException($"unexpected operation in a replacement's undo: {operation.Kind}");
            }
        }
    }

    /// <summary>Gives the proven container the service aliases on each of its networks.</summary>
    private async Task AttachAliasesAsync(string containerId, ServiceSpec service, CancellationToken cancellationToken)
    {
        if (service.Container.NetworkMode is not null)
        {
            return;
        }

        foreach (var network in service.Container.Networks)
        {
            await engine.ReconnectWithAliasesAsync(containerId, network.EngineName, [.. CreateParametersMapper.Aliases(service, network, attachAliases: true)], cancellationToken).ConfigureAwait(false);
        }
    }

}

/// <summary>A replacement's verdict, and what of it still runs once the rollout went on (<see cref="ReplicaOperationKind.ContinueRollout"/>).</summary>
public sealed record ReplacementOutcome(GateEvidence? Evidence, Task Finishing);

/// <summary>What the plan assumed of a container no longer holds: nothing was changed, and the next pass plans again.</summary>
public sealed class PlanOutdatedException(string message) : Exception(message);
