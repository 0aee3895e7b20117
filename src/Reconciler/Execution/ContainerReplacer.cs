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
public sealed class ContainerReplacer(IContainerEngine engine, HealthGate gate, TimeProvider timeProvider, FrontRouter fronts)
{
    /// <returns>null on success, else the gate's evidence (the old container is serving again).</returns>
    public async Task<GateEvidence?> ReplaceAsync(
        ServiceSpec service, int replica, string containerName, string currentContainerId, UpdateOrder order,
        TimeSpan monitor, ExecutionScope scope, Action<string> progress, CancellationToken cancellationToken)
    {
        var temporaryName = ContainerNames.ReplacementFor(containerName, service.ConfigHash);

        // The replacement takes the current container's anonymous volumes over (as docker compose
        // does), so start-first would run two containers on one data directory (two database
        // processes on one volume). The planner already replaces a replica that observe saw with
        // anonymous volumes stop-first, and says so in the plan (RolloutOrder.ForReplacement). This
        // check stays for what observe did not see: a rollback, whose current container is the one
        // this pass created, and a container re-created between observe and execute.
        // The same inspect gives start-first the networks to take the old container out of.
        // A front's rules name containers by id; a rollback passes the name.
        var hasFront = fronts.HasFront(service.Stack, service.Name);
        var current = order == UpdateOrder.StartFirst || hasFront
            ? await engine.InspectContainerAsync(currentContainerId, cancellationToken).ConfigureAwait(false)
            : null;
        var currentId = current?.Id ?? currentContainerId;
        if (current?.AnonymousVolumePaths is { IsEmpty: false } shared && order == UpdateOrder.StartFirst)
        {
            order = UpdateOrder.StopFirst;
            progress($"{containerName} has anonymous volume(s) at {string.Join(", ", shared)} that its replacement takes over: replacing it stop-first, never two containers on one volume");
        }

        // Start-first: no aliases until the gate passed (the old container serves meanwhile).
        // Stop-first: the old container is stopped before the new one starts, so nothing is protected
        // by holding the aliases back, and reconnecting later would drop a published port for a
        // moment (measured: a second 0.2-0.5 s outage per rollout, docs/benchmarks.md).
        var request = new ContainerCreateRequest(service, replica, temporaryName, scope.Owner, containerName, AttachAliases: order == UpdateOrder.StopFirst);
        var newId = await engine.CreateContainerAsync(request, cancellationToken).ConfigureAwait(false);
        progress($"created {temporaryName}");

        if (order == UpdateOrder.StartFirst)
        {
            GateEvidence? evidence;
            try
            {
                await engine.StartContainerAsync(newId, cancellationToken).ConfigureAwait(false);
                evidence = await gate.WaitAsync(newId, service, monitor, cancellationToken).ConfigureAwait(false);
            }
            catch (EngineException exception) when (!EngineErrors.IsTransient(exception))
            {
                // The engine refused to run it (a command that does not exist, a port taken): this
                // version's failure, like a failed gate. A transient error propagates instead (the pass
                // is retried), leaving the unproven container to the next pass's leftover cleanup.
                evidence = new GateEvidence(temporaryName, $"could not start: {exception.Message}", null, null, string.Empty);
            }

            if (evidence is not null)
            {
                // The old container never stopped serving: discarding the new one is the whole undo.
                await engine.RemoveContainerAsync(newId, cancellationToken).ConfigureAwait(false);
                return evidence;
            }

            // Invariant: the new container is healthy before it gets traffic, and before the old one goes.
            if (!service.Front)
            {
                await AttachAliasesAsync(newId, service, cancellationToken).ConfigureAwait(false);
            }

            if (hasFront)
            {
                // One atomic rule swap: new connections go to the new container, those already open on
                // the old one stay there (conntrack) while it drains on its network.
                fronts.Admit(newId);
                fronts.Retire(currentId);
                await fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);
            }

            progress(service.Front
                ? $"{temporaryName} passed its health gate; the front now forwards to it instead of {containerName}"
                : $"{temporaryName} passed its health gate and now receives traffic");
            // Take the old one out of DNS first (where it answers to the service's name: not behind a
            // front, whose forwarding it still serves while it drains), let clients that resolved it just
            // before finish, then stop it with its own stop signal and grace period.
            foreach (var network in current!.Networks.Where(network => current.Aliases.TryGetValue(network, out var aliases) && aliases.Contains(service.Name)))
            {
                await engine.DisconnectNetworkAsync(currentId, network, cancellationToken).ConfigureAwait(false);
            }

            // x-berth.drain, when set, overrides the default drain period.
            var drain = service.Drain > TimeSpan.Zero ? service.Drain : scope.DrainPeriod;
            await Task.Delay(drain, timeProvider, cancellationToken).ConfigureAwait(false);
            await engine.StopContainerAsync(currentContainerId, StopGrace(service), cancellationToken).ConfigureAwait(false);
            await engine.RemoveContainerAsync(currentContainerId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Stop-first: the new container exists (image pulled, created) before the old one stops,
            // so the gap is only stop + start. The old one stays stopped, not removed, until the new
            // one is proven. Behind a front, the old one leaves the front's rules before it stops.
            if (hasFront)
            {
                fronts.Retire(currentId);
                await fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);
            }

            await engine.StopContainerAsync(currentContainerId, StopGrace(service), cancellationToken).ConfigureAwait(false);
            progress($"stopped {containerName}");
            GateEvidence? evidence;
            Exception? transient = null;
            try
            {
                await engine.StartContainerAsync(newId, cancellationToken).ConfigureAwait(false);
                evidence = await gate.WaitAsync(newId, service, monitor, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is EngineException { StatusCode: not null } || (EngineErrors.IsTransient(exception) && !cancellationToken.IsCancellationRequested))
            {
                evidence = new GateEvidence(temporaryName, $"could not start: {exception.Message}", null, null, string.Empty);
                transient = EngineErrors.IsTransient(exception) ? exception : null;
            }

            if (evidence is not null)
            {
                await engine.RemoveContainerAsync(newId, cancellationToken).ConfigureAwait(false);

                // With max_failure_ratio 0 (the default) one failed gate fails the revision: put the
                // last applied revision's files back before the old container starts on them. (With
                // a tolerated ratio the rollout may still succeed; the files go back after it fails.)
                if (service.Update.MaxFailureRatio <= 0)
                {
                    scope.RestorePreviousFiles?.Invoke();
                }

                await engine.StartContainerAsync(currentContainerId, cancellationToken).ConfigureAwait(false);
                progress($"restarted the previous {containerName}");
                if (hasFront)
                {
                    // Restarted, it may have a new address: route from a fresh look.
                    fronts.Reinstate(currentId);
                    await fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);
                }

                if (transient is not null)
                {
                    // The old container serves again; an engine hiccup is not evidence against the new version.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(transient);
                }

                return evidence;
            }

            await engine.RemoveContainerAsync(currentContainerId, cancellationToken).ConfigureAwait(false);
            if (hasFront)
            {
                fronts.Admit(newId);
                await fronts.RouteAsync(service.Stack, service.Name, cancellationToken).ConfigureAwait(false);
            }
        }

        // The old container is gone: the new one takes the canonical name.
        await engine.RenameContainerAsync(newId, containerName, cancellationToken).ConfigureAwait(false);
        progress($"replaced {containerName}");
        return null;
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

    public static TimeSpan StopGrace(ServiceSpec service) => service.Container.StopGracePeriod ?? TimeSpan.FromSeconds(10);
}
