using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Planning;

public enum DriftMode
{
    /// <summary>Repair drift (stopped, removed or re-created by hand) on the next pass.</summary>
    Repair,

    /// <summary>Report drift as notices; change nothing that only drift would change.</summary>
    Warn,
}

/// <summary>
/// The pure heart of berth: (desired, observed, applied) -> ordered steps, each with its cause.
/// No I/O, no clock: the same inputs always give the same plan (and the same text).
/// </summary>
/// <remarks>
/// Order of a plan: images, then networks and volumes, then services in dependency order (ties by
/// name; a service's dependencies are waited for when depends_on says service_healthy), then
/// removals (containers, then networks, then volumes when pruning is allowed).
/// </remarks>
public static class Planner
{
    /// <param name="refusedRollbacks">
    /// Services ("stack/service") whose last applied spec this host's policy refuses now, with why
    /// (<see cref="Policy.HostPolicyScope.RefusedRollbacks"/>): their rollouts are not rolled back to it.
    /// Judged before planning because it reads the host's file system; default none.
    /// </param>
    public static Plan Create(DesiredState desired, ObservedState observed, AppliedState applied, DriftMode driftMode = DriftMode.Repair, IReadOnlyDictionary<string, string>? refusedRollbacks = null)
    {
        refusedRollbacks ??= ImmutableDictionary<string, string>.Empty;
        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        var notices = ImmutableArray.CreateBuilder<PlanNotice>();
        var problems = ImmutableArray.CreateBuilder<PlanProblem>();

        // A commit that would remove every managed service of this host is far more often a
        // truncated file or a wrong host selector (the host now matches another stack) than an
        // intent: refuse it unless the repository says so explicitly.
        var managedContainers = observed.Containers.Length;
        var desiredServices = desired.AllServices.Select(service => service.QualifiedName).ToHashSet(StringComparer.Ordinal);
        var managedServices = observed.Containers.Select(container => container.QualifiedService).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (managedContainers > 0 && !managedServices.Any(desiredServices.Contains) && !desired.Settings.AllowEmptyState)
        {
            var what = desiredServices.Count == 0
                ? "has no services"
                : $"keeps none of the {managedServices.Count} service(s) it runs ({string.Join(", ", managedServices)})";
            problems.Add(new PlanProblem(null,
                $"the desired state for host {desired.Host} {what} and would remove all {managedContainers} managed container(s); " +
                "refusing. Set settings.allow_empty_state: true in berth.yaml if this is intended"));
            return new Plan(desired.Host, [], [], problems.ToImmutable());
        }

        PlanImages(desired, observed, steps, notices, problems);
        var blockedResources = PlanNetworksAndVolumes(desired, observed, steps, problems);
        foreach (var stack in desired.Stacks)
        {
            PlanStack(stack, observed, applied, refusedRollbacks, driftMode, blockedResources, steps, notices, problems);
        }

        PlanRemovals(desired, observed, steps, notices);
        return new Plan(desired.Host, steps.ToImmutable(), notices.ToImmutable(), problems.ToImmutable());
    }

    private static void PlanImages(DesiredState desired, ObservedState observed, ImmutableArray<PlanStep>.Builder steps, ImmutableArray<PlanNotice>.Builder notices, ImmutableArray<PlanProblem>.Builder problems)
    {
        // A tag that moved in its registry (pull_policy always or periodic, checked on schedule before this plan):
        // pulled first, then every service running the image is replaced with the same cause (PlanService),
        // through the normal health-gated rollout. The pull precedes any container step of those services
        // (PlanGraph), so a failed pull leaves the old containers serving.
        var running = desired.AllServices.Where(service => service.Replicas > 0).Select(service => service.Container.Image).ToHashSet(StringComparer.Ordinal);
        foreach (var (image, move) in observed.TagChecks.Moved.Where(entry => running.Contains(entry.Key)))
        {
            steps.Add(new PullImageStep(image, move.Cause));
        }

        // A registry that could not answer the check is reported, never acted on: what runs keeps running,
        // and the next pass (or the next scheduled check) asks again.
        foreach (var (image, problem) in observed.TagChecks.Problems)
        {
            notices.Add(new PlanNotice(image, $"registry check failed, keeping the local image: {problem}"));
        }

        var missing = desired.AllServices
            .Where(service => service.Replicas > 0 && !observed.ImageIds.ContainsKey(service.Container.Image))
            .GroupBy(service => service.Container.Image, StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal);
        foreach (var image in missing)
        {
            var neverPull = image.Where(service => service.PullPolicy == PullPolicy.Never).ToList();
            foreach (var service in neverPull)
            {
                problems.Add(new PlanProblem(service.QualifiedName, $"image {image.Key} is not present locally and pull_policy is never"));
            }

            if (neverPull.Count < image.Count())
            {
                steps.Add(new PullImageStep(image.Key, "not present locally") { Platform = PlatformCheck.ForPull(image.Except(neverPull)) });
            }
        }
    }

    /// <returns>Engine names of networks and volumes that cannot be used (not ours, or external and missing).</returns>
    /// <remarks>
    /// Stacks of one host share networks and volumes: one stack creates it, the others name it
    /// `external: true` (a reverse proxy and its apps). What berth creates is planned first, for
    /// every stack, so an external resource that another stack creates in this same plan counts as
    /// present: its create step comes before any service step. Validation guarantees that no two
    /// definitions create one engine name.
    /// </remarks>
    private static HashSet<string> PlanNetworksAndVolumes(DesiredState desired, ObservedState observed, ImmutableArray<PlanStep>.Builder steps, ImmutableArray<PlanProblem>.Builder problems)
    {
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        // Docker allows two networks with one name (API CheckDuplicate is opt-in): compare with the first.
        var ownedNetworks = observed.Networks.GroupBy(network => network.Name, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.First(), StringComparer.Ordinal);
        var ownedVolumes = observed.Volumes.ToDictionary(volume => volume.Name, StringComparer.Ordinal);
        foreach (var stack in desired.Stacks)
        {
            foreach (var network in stack.Networks.Where(network => !network.External).OrderBy(network => network.EngineName, StringComparer.Ordinal))
            {
                if (observed.ForeignNetworkNames.Contains(network.EngineName))
                {
                    blocked.Add(network.EngineName);
                    problems.Add(new PlanProblem($"{stack.Name}/{network.Key}", $"network {network.EngineName} exists but was not created by berth for this host; berth will not use or change it"));
                }
                else if (!ownedNetworks.TryGetValue(network.EngineName, out var existingNetwork))
                {
                    steps.Add(new CreateNetworkStep(stack.Name, network, "missing"));
                }
                else if (ResourceSettingsDiff.Describe(network, existingNetwork.Settings) is { IsEmpty: false } networkChanges)
                {
                    blocked.Add(network.EngineName);
                    problems.Add(new PlanProblem($"{stack.Name}/{network.Key}",
                        $"network {network.EngineName} was created with other settings than the spec now gives: {string.Join("; ", networkChanges)}. " +
                        "The engine cannot change a network in place and re-creating it would disconnect every container on it, so berth leaves it as it is. " +
                        "Give the network a new name in the compose file (berth creates it and rolls the services over), or remove it by hand and berth creates it again"));
                }
            }

            foreach (var volume in stack.Volumes.Where(volume => !volume.External).OrderBy(volume => volume.EngineName, StringComparer.Ordinal))
            {
                if (observed.ForeignVolumeNames.Contains(volume.EngineName))
                {
                    blocked.Add(volume.EngineName);
                    problems.Add(new PlanProblem($"{stack.Name}/{volume.Key}", $"volume {volume.EngineName} exists but was not created by berth for this host; berth will not use or change it"));
                }
                else if (!ownedVolumes.TryGetValue(volume.EngineName, out var existingVolume))
                {
                    steps.Add(new CreateVolumeStep(stack.Name, volume, "missing"));
                }
                else if (ResourceSettingsDiff.Describe(volume, existingVolume.Settings) is { IsEmpty: false } volumeChanges)
                {
                    blocked.Add(volume.EngineName);
                    problems.Add(new PlanProblem($"{stack.Name}/{volume.Key}",
                        $"volume {volume.EngineName} was created with other settings than the spec now gives: {string.Join("; ", volumeChanges)}. " +
                        "Re-creating it would lose its data, so berth never does. " +
                        "Give the volume a new name for a new, empty one (the old one is kept), or move its data elsewhere, remove it by hand and berth creates it again"));
                }
            }
        }

        // An external resource is there when the engine has it (berth's own or not), or when another
        // stack of this desired state defines it; if that stack's definition is blocked, so is this.
        var createdHere = desired.Stacks.SelectMany(stack => stack.Networks).Where(network => !network.External).Select(network => network.EngineName)
            .Concat(desired.Stacks.SelectMany(stack => stack.Volumes).Where(volume => !volume.External).Select(volume => volume.EngineName))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var stack in desired.Stacks)
        {
            foreach (var network in stack.Networks.Where(network => network.External).OrderBy(network => network.EngineName, StringComparer.Ordinal))
            {
                if (!ownedNetworks.ContainsKey(network.EngineName) && !observed.ForeignNetworkNames.Contains(network.EngineName) && !createdHere.Contains(network.EngineName))
                {
                    blocked.Add(network.EngineName);
                    problems.Add(new PlanProblem($"{stack.Name}/{network.Key}", $"external network {network.EngineName} does not exist"));
                }
            }

            foreach (var volume in stack.Volumes.Where(volume => volume.External).OrderBy(volume => volume.EngineName, StringComparer.Ordinal))
            {
                if (!ownedVolumes.ContainsKey(volume.EngineName) && !observed.ForeignVolumeNames.Contains(volume.EngineName) && !createdHere.Contains(volume.EngineName))
                {
                    blocked.Add(volume.EngineName);
                    problems.Add(new PlanProblem($"{stack.Name}/{volume.Key}", $"external volume {volume.EngineName} does not exist"));
                }
            }
        }

        return blocked;
    }

    private static void PlanStack(
        StackSpec stack,
        ObservedState observed,
        AppliedState applied,
        IReadOnlyDictionary<string, string> refusedRollbacks,
        DriftMode driftMode,
        HashSet<string> blockedResources,
        ImmutableArray<PlanStep>.Builder steps,
        ImmutableArray<PlanNotice>.Builder notices,
        ImmutableArray<PlanProblem>.Builder problems)
    {
        var servicesWithChanges = new HashSet<string>(StringComparer.Ordinal);
        // Services whose containers this plan creates, replaces, starts or restarts: what `restart: true` reacts to.
        var updatedServices = new HashSet<string>(StringComparer.Ordinal);
        var byName = stack.Services.ToDictionary(service => service.Name, StringComparer.Ordinal);
        foreach (var service in DependencyOrder.Sort(stack.Services))
        {
            var blockedBy = service.Container.Networks.Select(network => network.EngineName)
                .Concat(service.Container.Mounts.Where(mount => mount.Type == MountType.Volume && mount.Source is not null).Select(mount => mount.Source!))
                .Where(blockedResources.Contains)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (blockedBy.Count > 0)
            {
                problems.Add(new PlanProblem(service.QualifiedName, $"held back: it uses {string.Join(", ", blockedBy)}, which berth cannot use as the spec asks (see the problem reported for it)"));
                continue;
            }

            // A one-shot job runs to its exit instead of being kept running (JobSteps).
            if (PlatformCheck.Mismatch(service, observed) is { } platformMismatch)
            {
                problems.Add(new PlanProblem(service.QualifiedName, platformMismatch));
                continue;
            }

            var serviceSteps = service.Job
                ? JobSteps.Plan(service, stack.Services, observed, problems)
                : PlanService(service, observed, applied, refusedRollbacks, driftMode, notices, problems);
            serviceSteps.AddRange(RestartsAfterDependencies(service, serviceSteps, observed, updatedServices));
            if (serviceSteps.Count == 0)
            {
                continue;
            }

            servicesWithChanges.Add(service.Name);
            // A rename that finishes an interrupted replacement is not an update: the container already ran.
            if (serviceSteps.Any(step => step is CreateContainerStep or ReplaceContainerStep or StartContainerStep or RestartContainerStep or RunJobStep { WaitsForRunning: false }))
            {
                updatedServices.Add(service.Name);
            }

            // depends_on: service_healthy means "do not start me before my dependency is healthy".
            // Only needed when this service is about to (re)start something.
            foreach (var dependency in service.DependsOn.Where(dependency => dependency.Condition == DependencyCondition.ServiceHealthy))
            {
                if (byName.TryGetValue(dependency.Service, out var target) && target.Replicas > 0)
                {
                    steps.Add(new WaitHealthyStep(target, service.QualifiedName, $"{service.QualifiedName} depends on it (service_healthy{(dependency.Required ? "" : ", required: false")})")
                    {
                        Optional = !dependency.Required,
                    });
                }
            }

            steps.AddRange(serviceSteps);
        }
    }

    /// <summary>
    /// depends_on with `restart: true` (Compose): when this plan updates a dependency (creates, replaces,
    /// starts or restarts its containers), the service's running replicas that the plan does not touch
    /// otherwise are restarted after it, so they reconnect to the new dependency. Dependencies are
    /// planned first (dependency order), so their steps are known here.
    /// </summary>
    private static IEnumerable<PlanStep> RestartsAfterDependencies(ServiceSpec service, List<PlanStep> serviceSteps, ObservedState observed, HashSet<string> updatedServices)
    {
        var updated = service.DependsOn.Where(dependency => dependency.Restart && updatedServices.Contains(dependency.Service)).Select(dependency => $"{service.Stack}/{dependency.Service}").ToList();
        if (updated.Count == 0)
        {
            return [];
        }

        var touched = serviceSteps.Select(step => step switch
        {
            ReplaceContainerStep replace => replace.Current.Id,
            StartContainerStep start => start.Container.Id,
            RemoveContainerStep remove => remove.Container.Id,
            FinishReplacementStep finish => finish.Replacement.Id,
            _ => null,
        }).Where(id => id is not null).ToHashSet(StringComparer.Ordinal);
        var cause = $"{string.Join(", ", updated)} {(updated.Count == 1 ? "is" : "are")} updated in this plan (depends_on restart: true)";
        return observed.Containers
            .Where(container => container.Stack == service.Stack && container.Service == service.Name && container.ReplacementOf is null
                && container.Replica >= 1 && container.Replica <= service.Replicas && container.State == ContainerRunState.Running && !touched.Contains(container.Id))
            .OrderBy(container => container.Replica)
            .Select(container => new RestartContainerStep(service, container, [.. updated], cause));
    }

    private static List<PlanStep> PlanService(
        ServiceSpec service,
        ObservedState observed,
        AppliedState applied,
        IReadOnlyDictionary<string, string> refusedRollbacks,
        DriftMode driftMode,
        ImmutableArray<PlanNotice>.Builder notices,
        ImmutableArray<PlanProblem>.Builder problems)
    {
        var steps = new List<PlanStep>();
        applied.Services.TryGetValue(service.QualifiedName, out var appliedService);

        // A policy added or tightened since the last applied spec ran: a failed rollout must not create it again.
        var rollbackRefusal = refusedRollbacks.GetValueOrDefault(service.QualifiedName);
        PlanFront(service, observed, appliedService, driftMode, steps, notices, problems);
        var containers = observed.Containers
            .Where(container => container.Stack == service.Stack && container.Service == service.Name)
            .ToList();
        observed.ImageIds.TryGetValue(service.Container.Image, out var desiredImageId);
        // The front's rules follow every swap while the service has a front: one it keeps, gets in
        // this pass (created before the replicas), or is about to lose (removed after them): the same
        // rule by which the pass's front router knows which services to route.
        var behindFront = Fronts.FrontRouter.ServicesWithFront(observed, [service]).Contains(service.QualifiedName);

        // Leftovers of a replacement a crash interrupted (still under their temporary name): finish
        // it when the old container is gone and the new one had been proven (it carries the desired
        // config and runs healthy), otherwise undo it. Never two containers for one replica.
        var leftovers = containers.Where(container => container.ReplacementOf is { } target && container.Name != target).ToList();
        var regular = containers.Except(leftovers).ToList();
        var finishedReplicas = new HashSet<int>();
        foreach (var leftover in leftovers.OrderBy(container => container.Name, StringComparer.Ordinal))
        {
            var canonicalStillThere = regular.Any(container => container.Name == leftover.ReplacementOf);
            var proven = leftover.ConfigHash == service.ConfigHash && leftover.IsSettled
                && leftover.Replica <= service.Replicas && !finishedReplicas.Contains(leftover.Replica);
            if (!canonicalStillThere && proven)
            {
                finishedReplicas.Add(leftover.Replica);
                steps.Add(new FinishReplacementStep(service, leftover, leftover.ReplacementOf!, "finish the replacement an interrupted rollout left"));
            }
            else
            {
                steps.Add(new RemoveContainerStep(leftover, "unproven replacement left by an interrupted rollout"));
            }
        }

        for (var replica = 1; replica <= service.Replicas; replica++)
        {
            if (finishedReplicas.Contains(replica))
            {
                continue;
            }

            var name = ContainerNames.For(service, replica);
            var candidates = regular.Where(container => container.Replica == replica).OrderBy(container => container.Name, StringComparer.Ordinal).ToList();
            var current = candidates.FirstOrDefault(container => container.Name == name) ?? candidates.FirstOrDefault();
            foreach (var duplicate in candidates.Where(container => container != current))
            {
                steps.Add(new RemoveContainerStep(duplicate, $"duplicate of replica {replica.ToString(CultureInfo.InvariantCulture)}"));
            }

            if (current is null)
            {
                if (observed.ForeignContainerNames.Contains(name))
                {
                    problems.Add(new PlanProblem(service.QualifiedName,
                        $"container name {name} is taken by a container berth does not own; berth leaves it alone. Remove or rename it, or set container_name"));
                    continue;
                }

                var wasApplied = appliedService?.ContainerIds.ContainsKey(replica) == true;
                if (wasApplied && driftMode == DriftMode.Warn)
                {
                    notices.Add(new PlanNotice(name, "drift: removed outside berth (warn-only mode: not repaired)", PlanNoticeKind.Drift));
                    continue;
                }

                steps.Add(new CreateContainerStep(service, replica, name, wasApplied ? "removed outside berth" : "missing") { RepairsDrift = wasApplied });
                continue;
            }

            var replaceCause = ReplaceCause(service, current, appliedService, desiredImageId, observed.TagChecks.Moved.GetValueOrDefault(service.Container.Image), replica, out var isDrift);
            // Limits and restart policy, when a drift check inspected the replica (a replacement brings the spec's anyway).
            var resourceDrift = current.Resources is { } resources && replaceCause is null
                ? ContainerResources.Compare(ContainerResources.Of(service.Container), resources)
                : [];
            var resourceCause = resourceDrift.IsEmpty ? null : $"changed outside berth (docker update): {string.Join(", ", resourceDrift.Select(drift => drift.Field))}";
            if (resourceCause is not null && resourceDrift.Any(drift => !drift.InPlace))
            {
                // The engine cannot set these back in place (a limit added where the spec has none, the
                // restart policy): only a new container of the spec has them.
                replaceCause = resourceCause;
                isDrift = true;
            }

            if (replaceCause is not null)
            {
                if (isDrift && driftMode == DriftMode.Warn)
                {
                    notices.Add(new PlanNotice(current.Name, $"drift: {replaceCause} (warn-only mode: not repaired)", PlanNoticeKind.Drift));
                    continue;
                }

                var (order, orderReason) = RolloutOrder.ForReplacement(service, current);
                steps.Add(new ReplaceContainerStep(service, replica, name, current, order, replaceCause)
                {
                    RepairsDrift = isDrift,
                    OrderReason = orderReason,
                    BehindFront = behindFront,
                    Rollback = rollbackRefusal is null ? RolloutOrder.RollbackFor(service, appliedService?.RollbackSpec, current) : null,
                    RollbackRefusal = service.Update.FailureAction == FailureAction.Rollback ? rollbackRefusal : null,
                });
                continue;
            }

            // Attached as the spec says: before a start below, so the process starts connected.
            PlanReconnects(service, current, driftMode, steps, notices);
            if (resourceCause is not null)
            {
                if (driftMode == DriftMode.Warn)
                {
                    notices.Add(new PlanNotice(current.Name, $"drift: {resourceCause} (warn-only mode: not repaired)", PlanNoticeKind.Drift));
                }
                else
                {
                    steps.Add(new UpdateContainerStep(service, current, [.. resourceDrift.Select(drift => drift.Field)], resourceCause) { RepairsDrift = true });
                }
            }

            if (current.State is ContainerRunState.Exited or ContainerRunState.Created or ContainerRunState.Dead)
            {
                var cause = current.ExitCode is { } exitCode && current.State != ContainerRunState.Created
                    ? $"not running (exited with code {exitCode.ToString(CultureInfo.InvariantCulture)})"
                    : "not running";
                if (driftMode == DriftMode.Warn)
                {
                    notices.Add(new PlanNotice(current.Name, $"drift: {cause} (warn-only mode: not repaired)", PlanNoticeKind.Drift));
                    continue;
                }

                // A container berth created but never started (a crash between create and start) is
                // berth's own unfinished work, not drift.
                steps.Add(new StartContainerStep(service, current, cause) { RepairsDrift = current.State != ContainerRunState.Created });
            }
        }

        // Scale down: highest replica numbers go first, so replicas 1..n keep their names.
        foreach (var surplus in regular.Where(container => container.Replica > service.Replicas || container.Replica < 1)
                     .OrderByDescending(container => container.Replica).ThenBy(container => container.Name, StringComparer.Ordinal))
        {
            var running = regular.Select(container => container.Replica).Where(replica => replica >= 1).Distinct().Count();
            steps.Add(new RemoveContainerStep(surplus,
                $"scale {running.ToString(CultureInfo.InvariantCulture)} -> {service.Replicas.ToString(CultureInfo.InvariantCulture)}"));
        }

        // x-berth.front turned off: the front goes last, once the replicas carry the aliases again.
        if (!service.Front)
        {
            foreach (var front in observed.Fronts.Where(front => front.Stack == service.Stack && front.Service == service.Name).OrderBy(front => front.Name, StringComparer.Ordinal))
            {
                steps.Add(new RemoveFrontStep(front, "x-berth.front is off", OfDesiredService: true));
            }
        }

        return steps;
    }

    /// <summary>
    /// A replica taken off one of its service's networks outside berth (`docker network disconnect`: the
    /// list shows it without the network) is connected again in place, with the names its create gave
    /// it (none behind a front). Replacing it would restart it for nothing. Only what the desired state
    /// attaches is checked: networks the container joined by hand are not berth's to remove, and a
    /// replica that is replaced in this plan gets its networks from the create. Nothing is planned when
    /// the observation did not list networks, or when the service sets network_mode (it joins none).
    /// </summary>
    private static void PlanReconnects(ServiceSpec service, ObservedContainer current, DriftMode driftMode, List<PlanStep> steps, ImmutableArray<PlanNotice>.Builder notices)
    {
        if (current.Networks is not { } attached || service.Container.NetworkMode is not null)
        {
            return;
        }

        foreach (var network in service.Container.Networks.Where(network => !attached.Contains(network.EngineName)).OrderBy(network => network.EngineName, StringComparer.Ordinal))
        {
            if (driftMode == DriftMode.Warn)
            {
                notices.Add(new PlanNotice(current.Name, $"drift: disconnected from network {network.EngineName} outside berth (warn-only mode: not repaired)", PlanNoticeKind.Drift));
                continue;
            }

            steps.Add(new ReconnectNetworkStep(service, current, network, "disconnected outside berth") { RepairsDrift = true });
        }
    }

    /// <summary>
    /// A front comes before the service's replicas: a replica created or replaced behind it is put into
    /// its rules only once it passed its gate. Re-created when its networks or aliases changed
    /// (a brief outage: its address changes), or when it does not run (its rules went with it).
    /// </summary>
    private static void PlanFront(
        ServiceSpec service, ObservedState observed, AppliedService? appliedService, DriftMode driftMode, List<PlanStep> steps, ImmutableArray<PlanNotice>.Builder notices, ImmutableArray<PlanProblem>.Builder problems)
    {
        if (!service.Front)
        {
            return;
        }

        var front = Fronts.FrontDefinition.For(service);
        // The same front the last applied spec had: putting it back changes nothing of this revision.
        var sameAsApplied = appliedService?.Spec is { Front: true } appliedSpec && Fronts.FrontDefinition.For(appliedSpec).Hash == front.Hash;
        var existing = observed.Fronts.FirstOrDefault(candidate => candidate.Stack == service.Stack && candidate.Service == service.Name);
        if (existing is null)
        {
            if (observed.ForeignContainerNames.Contains(front.Name))
            {
                problems.Add(new PlanProblem(service.QualifiedName, $"container name {front.Name} (the service's front) is taken by a container berth does not own; berth leaves it alone. Remove or rename it"));
                return;
            }

            steps.Add(new EnsureFrontStep(service, front, null, "missing") { RestoresWhatRan = sameAsApplied });
        }
        else if (existing.ConfigHash != front.Hash)
        {
            steps.Add(new EnsureFrontStep(service, front, existing, "networks or aliases changed"));
        }
        else if (existing.State != ContainerRunState.Running)
        {
            if (driftMode == DriftMode.Warn)
            {
                notices.Add(new PlanNotice(existing.Name, "drift: front not running (warn-only mode: not repaired)", PlanNoticeKind.Drift));
                return;
            }

            steps.Add(new EnsureFrontStep(service, front, existing, "not running") { RepairsDrift = true, RestoresWhatRan = true });
        }
        else if (!existing.Aliased)
        {
            // berth's own interrupted work (it died between creating the front and naming it).
            steps.Add(new EnsureFrontStep(service, front, existing, "created but never given the service's names") { RestoresWhatRan = true });
        }
    }

    /// <summary>Why the replica's container must be replaced, or null when it matches.</summary>
    private static string? ReplaceCause(
        ServiceSpec service, ObservedContainer current, AppliedService? appliedService, string? desiredImageId, Images.TagMove? tagMove, int replica, out bool isDrift)
    {
        isDrift = false;
        if (current.ConfigHash != service.ConfigHash)
        {
            var changed = appliedService is not null && appliedService.ConfigHash == current.ConfigHash
                ? ConfigHasher.ChangedFields(appliedService.FieldHashes, service.FieldHashes)
                : [];
            return changed.IsEmpty ? "config changed" : $"config changed: {string.Join(", ", changed)}";
        }

        // The tag moved in the registry: the pull planned first brings the new image, this replaces the container onto it.
        if (tagMove is not null)
        {
            return tagMove.Cause;
        }

        // The image that runs decides too, not only the reference in the hash: the same reference now
        // resolves to another local image (someone pulled, or a pull found that the tag moved). Both
        // short ids in the cause say which image goes and which comes.
        if (desiredImageId is not null && !string.IsNullOrEmpty(current.ImageId) && current.ImageId != desiredImageId)
        {
            return $"image changed: {Images.ImageReference.ShortId(current.ImageId)} \u2192 {Images.ImageReference.ShortId(desiredImageId)}";
        }

        // Labels can be copied by hand; the id berth recorded cannot. A managed-looking container
        // that berth did not create for this replica was re-created outside berth.
        if (appliedService is not null && appliedService.ContainerIds.TryGetValue(replica, out var recordedId) && recordedId != current.Id)
        {
            isDrift = true;
            return "re-created outside berth";
        }

        return null;
    }

    private static void PlanRemovals(DesiredState desired, ObservedState observed, ImmutableArray<PlanStep>.Builder steps, ImmutableArray<PlanNotice>.Builder notices)
    {
        var desiredServices = desired.AllServices.Select(service => service.QualifiedName).ToHashSet(StringComparer.Ordinal);
        foreach (var container in observed.Containers.Where(container => !desiredServices.Contains(container.QualifiedService)).OrderBy(container => container.Name, StringComparer.Ordinal))
        {
            steps.Add(new RemoveContainerStep(container, "removed from spec") { ServiceLeftSpec = true });
        }

        foreach (var front in observed.Fronts.Where(front => !desiredServices.Contains(front.QualifiedService)).OrderBy(front => front.Name, StringComparer.Ordinal))
        {
            steps.Add(new RemoveFrontStep(front, "removed from spec", OfDesiredService: false));
        }

        var desiredNetworks = desired.Stacks.SelectMany(stack => stack.Networks).Select(network => network.EngineName).ToHashSet(StringComparer.Ordinal);
        foreach (var network in observed.Networks.Where(network => !desiredNetworks.Contains(network.Name)))
        {
            steps.Add(new RemoveNetworkStep(network, "removed from spec"));
        }

        // Data is never lost implicitly: a named volume that left the spec is kept and reported,
        // unless the repository opts in to pruning.
        var desiredVolumes = desired.Stacks.SelectMany(stack => stack.Volumes).Select(volume => volume.EngineName).ToHashSet(StringComparer.Ordinal);
        foreach (var volume in observed.Volumes.Where(volume => !desiredVolumes.Contains(volume.Name)))
        {
            if (desired.Settings.PruneVolumes)
            {
                steps.Add(new RemoveVolumeStep(volume, "removed from spec (settings.prune_volumes)"));
            }
            else
            {
                notices.Add(new PlanNotice(volume.Name, "orphaned volume kept: it left the spec, and berth never removes data implicitly (settings.prune_volumes: true removes it)", PlanNoticeKind.OrphanedVolume));
            }
        }
    }
}
