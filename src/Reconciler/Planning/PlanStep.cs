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

    /// <summary>The service this step belongs to ("stack/service"), or null for networks, volumes, images.</summary>
    public virtual string? QualifiedService => null;

    /// <summary>
    /// True when the step undoes a change made outside berth (a container stopped, removed or
    /// re-created by hand, or one that crashed): counted as a drift repair in the metrics.
    /// </summary>
    public bool RepairsDrift { get; init; }

    public string Describe() => $"{Action}: {Cause}";
}

public sealed record PullImageStep(string Image, string Cause) : PlanStep(Cause)
{
    public override string Action => $"pull image {Image}";
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
}

public sealed record StartContainerStep(ServiceSpec Service, ObservedContainer Container, string Cause) : PlanStep(Cause)
{
    public override string Action => $"start container {Container.Name}";

    public override string? QualifiedService => Service.QualifiedName;
}

/// <summary>Replace one replica with a container of the new config, by the given order.</summary>
public sealed record ReplaceContainerStep(
    ServiceSpec Service, int Replica, string ContainerName, ObservedContainer Current, UpdateOrder Order, string Cause) : PlanStep(Cause)
{
    /// <summary>Why <see cref="Order"/> differs from the service's own order (see <see cref="RolloutOrder.ForReplacement"/>); null when it does not.</summary>
    public string? OrderReason { get; init; }

    public override string Action =>
        $"replace container {ContainerName} ({Service.QualifiedName} #{Replica.ToString(CultureInfo.InvariantCulture)}, {(Order == UpdateOrder.StartFirst ? "start-first" : "stop-first")}{(OrderReason is null ? string.Empty : ": " + OrderReason)})";

    public override string? QualifiedService => Service.QualifiedName;
}

/// <summary>Finish a replacement a crash interrupted: the new container passed, the old one is gone.</summary>
public sealed record FinishReplacementStep(ServiceSpec Service, ObservedContainer Replacement, string ContainerName, string Cause) : PlanStep(Cause)
{
    public override string Action => $"rename container {Replacement.Name} to {ContainerName}";

    public override string? QualifiedService => Service.QualifiedName;
}

/// <summary>Wait for a dependency's replicas to be healthy (depends_on condition service_healthy).</summary>
public sealed record WaitHealthyStep(ServiceSpec Service, string Cause) : PlanStep(Cause)
{
    public override string Action => $"wait until {Service.QualifiedName} is healthy";

    public override string? QualifiedService => Service.QualifiedName;
}

public sealed record RemoveContainerStep(ObservedContainer Container, string Cause) : PlanStep(Cause)
{
    public override string Action => $"remove container {Container.Name}";

    public override string? QualifiedService => Container.QualifiedService;
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
