using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Planning;

// Every step says what, on which resource, and why (compose's plan habit). Describe() is the plan
// line, the log line and the status explanation, so it must be deterministic.

public abstract record PlanStep(string Cause)
{
    /// <summary>Verb and resource, e.g. "create container shop-web-1".</summary>
    public abstract string Action { get; }

    /// <summary>
    /// The service this step belongs to ("stack/service"): its owner in the plan's graph, whose outcome
    /// the step counts for. Null for images, networks, volumes and fronts of services that left the spec.
    /// </summary>
    public virtual string? QualifiedService => null;

    /// <summary>
    /// The desired spec of the service whose container this step creates, starts, restarts, replaces or
    /// renames, or whose front it ensures; null for every other step (waits name a dependency's spec).
    /// </summary>
    public virtual ServiceSpec? DesiredService => null;

    /// <summary>
    /// True when the step undoes a change made outside berth (a container stopped, removed or
    /// re-created by hand, or one that crashed): counted as a drift repair in the metrics.
    /// </summary>
    public bool RepairsDrift { get; init; }

    public string Describe() => $"{Action}: {Cause}";
}

public sealed record PullImageStep(string Image, string Cause) : PlanStep(Cause)
{
    /// <summary>The platform to pull (`os/arch[/variant]`) when the services that use the image ask for one; null: the engine's own.</summary>
    public string? Platform { get; init; }

    public override string Action => Platform is null ? $"pull image {Image}" : $"pull image {Image} ({Platform})";
}

public sealed record CreateNetworkStep(string Stack, NetworkSpec Network, string Cause) : PlanStep(Cause)
{
    public override string Action => $"create network {Network.EngineName}";
}

public sealed record CreateVolumeStep(string Stack, VolumeSpec Volume, string Cause) : PlanStep(Cause)
{
    public override string Action => $"create volume {Volume.EngineName}";
}

public sealed record CreateContainerStep(ServiceSpec Service, int Replica, string ContainerName, string Cause) : PlanStep(Cause)
{
    public override string Action => $"create container {ContainerName} ({Service.QualifiedName} #{Replica.ToString(CultureInfo.InvariantCulture)})";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

public sealed record StartContainerStep(ServiceSpec Service, ObservedContainer Container, string Cause) : PlanStep(Cause)
{
    public override string Action => $"start container {Container.Name}";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>
/// Connect a replica again to a network of its service that it was taken off outside berth (`docker
/// network disconnect`), in place: the container keeps running, so no restart and no health gate.
/// </summary>
/// <param name="Network">The service's attachment: the names (none behind a front) and fixed addresses it gets back.</param>
public sealed record ReconnectNetworkStep(ServiceSpec Service, ObservedContainer Container, ServiceNetwork Network, string Cause) : PlanStep(Cause)
{
    public override string Action => $"reconnect container {Container.Name} to network {Network.EngineName}";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>
/// Set a replica's limits back to the spec's in place (`docker update` by hand changed them, a drift
/// check saw it): the container keeps running, so no restart and no health gate.
/// </summary>
/// <param name="Fields">What differs, Compose's names (`mem_limit`, `cpus`, ...).</param>
public sealed record UpdateContainerStep(ServiceSpec Service, ObservedContainer Container, ImmutableArray<string> Fields, string Cause) : PlanStep(Cause)
{
    /// <summary>What the container is set back to: what its create gave it.</summary>
    public ContainerResources Resources => ContainerResources.ForUpdate(Service.Container);

    public override string Action => $"update container {Container.Name}";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>Restart a running replica (stop, start, health gate): depends_on `restart: true` after its dependency was updated.</summary>
/// <param name="Triggers">The dependencies ("stack/service") whose update it follows: a restart whose triggers were all held back, or all failed in this pass, does not run.</param>
public sealed record RestartContainerStep(ServiceSpec Service, ObservedContainer Container, ImmutableArray<string> Triggers, string Cause) : PlanStep(Cause)
{
    public override string Action => $"restart container {Container.Name}";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>Replace one replica with a container of the new config, by the given order.</summary>
/// <remarks>
/// The engine calls it takes, and what undoes them when its health gate fails, are the planner's
/// decisions too: <see cref="Procedure"/> lists them, `berth plan` shows them, and the executor
/// carries them out one by one (<see cref="Execution.ContainerReplacer"/>), deciding nothing.
/// </remarks>
public sealed record ReplaceContainerStep(
    ServiceSpec Service, int Replica, string ContainerName, ObservedContainer Current, UpdateOrder Order, string Cause) : PlanStep(Cause)
{
    /// <summary>Why <see cref="Order"/> differs from the service's own order (see <see cref="RolloutOrder.ForReplacement"/>); null when it does not.</summary>
    public string? OrderReason { get; init; }

    /// <summary>The service has a front in this pass (it has one, or gets or loses one): the front's rules follow the swap.</summary>
    public bool BehindFront { get; init; }

    /// <summary>
    /// What a failed rollout of this service does to this replica once it was replaced: put back the
    /// last applied spec (failure_action rollback, the previous spec known), else null (pause, continue,
    /// or nothing known to go back to).
    /// </summary>
    public RollbackTarget? Rollback { get; init; }

    /// <summary>
    /// Why the last applied spec is not rolled back to: this host's policy refuses it now (added or
    /// tightened since it was applied). Null when it is not refused. A failed rollout then holds
    /// (pauses) instead of re-creating what the policy forbids.
    /// </summary>
    public string? RollbackRefusal { get; init; }

    /// <summary>
    /// This replacement puts the previous spec back (a failed rollout's rollback): its gate monitors by
    /// rollback_config, and its current container is the one this pass put under the canonical name,
    /// so it is addressed by that name.
    /// </summary>
    public bool IsRollback { get; init; }

    /// <summary>The replacement that undoes this one when its service's rollout fails, or null (<see cref="Rollback"/>).</summary>
    public ReplaceContainerStep? RollbackStep() => Rollback is { } target
        ? this with { Service = target.Previous, Order = target.Order, OrderReason = target.OrderReason, Rollback = null, RollbackRefusal = null, IsRollback = true, Cause = "roll back to the previous config" }
        : null;

    /// <summary>
    /// Put the last applied revision's files back when the gate fails, before the stopped old container
    /// starts again on them: with max_failure_ratio 0 (the default) one failed gate fails the revision.
    /// (With a tolerated ratio the rollout may still succeed; the files go back after it fails. A
    /// rollback runs on the files already put back.)
    /// </summary>
    public bool RestoresFilesOnFailure => Order == UpdateOrder.StopFirst && Service.Update.MaxFailureRatio <= 0 && !IsRollback;

    /// <summary>The name the new container runs under until it has passed and the old one is gone.</summary>
    public string TemporaryName => ContainerNames.ReplacementFor(ContainerName, Service.ConfigHash);

    /// <summary>How long the new container must stay healthy (or running): update_config's monitor, rollback_config's for a rollback.</summary>
    public TimeSpan Monitor => IsRollback ? Service.Rollback.Monitor : Service.Update.Monitor;

    /// <summary>The engine calls, in order, and the undo when the gate fails: a function of this step's fields (never stale after `with`).</summary>
    public ReplacementProcedure Procedure => ReplacementProcedure.For(this);

    public override string Action =>
        $"replace container {ContainerName} ({Service.QualifiedName} #{Replica.ToString(CultureInfo.InvariantCulture)}, {(Order == UpdateOrder.StartFirst ? "start-first" : "stop-first")}{(OrderReason is null ? string.Empty : ": " + OrderReason)})";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>Finish a replacement a crash interrupted: the new container passed, the old one is gone.</summary>
public sealed record FinishReplacementStep(ServiceSpec Service, ObservedContainer Replacement, string ContainerName, string Cause) : PlanStep(Cause)
{
    public override string Action => $"rename container {Replacement.Name} to {ContainerName}";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>Wait for a dependency's replicas to be healthy (depends_on condition service_healthy).</summary>
/// <param name="Service">The dependency waited for.</param>
/// <param name="Dependent">The service that waits ("stack/service"): the step's owner, skipped and held with it.</param>
public sealed record WaitHealthyStep(ServiceSpec Service, string Dependent, string Cause) : PlanStep(Cause)
{
    public override string Action => $"wait until {Service.QualifiedName} is healthy";

    public override string? QualifiedService => Dependent;

    /// <summary>depends_on `required: false` (Compose): the dependent goes on, with a warning, when the dependency is not healthy.</summary>
    public bool Optional { get; init; }
}

public sealed record RemoveContainerStep(ObservedContainer Container, string Cause) : PlanStep(Cause)
{
    public override string Action => $"remove container {Container.Name}";

    public override string? QualifiedService => Container.QualifiedService;

    /// <summary>Its service left the spec: removed after every desired service's changes, not as a scale-down or a cleanup of one.</summary>
    public bool ServiceLeftSpec { get; init; }
}

public sealed record RemoveNetworkStep(ObservedNetwork Network, string Cause) : PlanStep(Cause)
{
    public override string Action => $"remove network {Network.Name}";
}

public sealed record RemoveVolumeStep(ObservedVolume Volume, string Cause) : PlanStep(Cause)
{
    public override string Action => $"remove volume {Volume.Name}";
}

/// <summary>Create (or re-create) a service's front (x-berth.front) and point it at the service's proven replicas.</summary>
/// <param name="Existing">The front to remove first: not running, or created for other networks or aliases.</param>
public sealed record EnsureFrontStep(ServiceSpec Service, Fronts.FrontDefinition Front, ObservedFront? Existing, string Cause) : PlanStep(Cause)
{
    /// <summary>
    /// It puts back the front that ran (stopped, never named, or missing while the last applied spec
    /// had this very front): it changes nothing of a held revision, and a held service without its
    /// front answers nothing, so a hold never keeps it back (FailedRevisionHold).
    /// </summary>
    public bool RestoresWhatRan { get; init; }

    public override string Action => $"{(Existing is null ? "create" : "re-create")} front {Front.Name} ({Service.QualifiedName})";

    public override string? QualifiedService => Service.QualifiedName;

    public override ServiceSpec? DesiredService => Service;
}

/// <summary>Remove a front whose service left the spec or no longer asks for one. Before networks go: it is attached to them.</summary>
/// <param name="OfDesiredService">
/// The service stays (x-berth.front was turned off): the step belongs to the service, after its
/// replicas got their aliases back, and runs only if that succeeded. Otherwise it is a removal.
/// </param>
public sealed record RemoveFrontStep(ObservedFront Front, string Cause, bool OfDesiredService) : PlanStep(Cause)
{
    public override string Action => $"remove front {Front.Name}";

    public override string? QualifiedService => OfDesiredService ? Front.QualifiedService : null;
}

/// <summary>The spec and order a replaced replica goes back to when its service's rollout fails.</summary>
public sealed record RollbackTarget(ServiceSpec Previous, UpdateOrder Order, string? OrderReason);
