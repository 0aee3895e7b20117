using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Planning;

/// <summary>
/// Which order a replacement uses when the spec does not say (docs/rollout.md).
/// Start-first (new container healthy before the old one goes) is the default, except where two
/// containers of one replica cannot coexist on one host:
///  - a fixed published host port: the second container cannot bind it ("port is already allocated");
///  - an explicit container_name: two containers cannot share a name;
///  - a single replica with a named volume: two writers on one data volume (a database) must not overlap.
/// An explicit order wins; start-first with fixed host ports is rejected by validation already.
/// </summary>
public static class RolloutOrder
{
    public static UpdateOrder For(ServiceSpec service, RolloutPolicy policy)
    {
        if (policy.Order is { } explicitOrder)
        {
            return explicitOrder;
        }

        var container = service.Container;
        var publishesFixedPort = container.Ports.Any(port => port.Published is not null);
        var hasNamedVolume = container.Mounts.Any(mount => mount.Type == MountType.Volume && mount.Source is not null);
        var holdsFixedAddress = container.Networks.Any(network => network.Ipv4Address is not null || network.Ipv6Address is not null);
        if (publishesFixedPort || holdsFixedAddress || container.ContainerName is not null || (service.Replicas <= 1 && hasNamedVolume))
        {
            return UpdateOrder.StopFirst;
        }

        return UpdateOrder.StartFirst;
    }

    /// <summary>
    /// The order for replacing <paramref name="current"/>, and why when it is not the service's own
    /// order: a replica with anonymous volumes is replaced stop-first whatever the order, because its
    /// replacement takes those volumes over (as docker compose does), and start-first would run two
    /// containers on one data directory (two database processes on one volume). Decided here, from
    /// what observe saw, so that `berth plan` shows the order `apply` uses.
    /// </summary>
    public static (UpdateOrder Order, string? Reason) ForReplacement(ServiceSpec service, ObservedContainer current)
    {
        var order = For(service, service.Update);
        if (order == UpdateOrder.StartFirst && !current.AnonymousVolumePaths.IsEmpty)
        {
            var (volumes, pass) = current.AnonymousVolumePaths.Length == 1 ? ("volume", "passes") : ("volumes", "pass");
            return (UpdateOrder.StopFirst, $"its anonymous {volumes} {string.Join(", ", current.AnonymousVolumePaths)} {pass} to the replacement");
        }

        return (order, null);
    }

    /// <summary>
    /// Where a replica goes back to when its service's rollout fails after it was replaced: the last
    /// applied spec, by its rollback order (never start-first onto anonymous volumes the replica took
    /// over), or null when the failure action is not rollback or nothing is known to go back to.
    /// </summary>
    public static RollbackTarget? RollbackFor(ServiceSpec service, ServiceSpec? previous, ObservedContainer current)
    {
        if (service.Update.FailureAction != FailureAction.Rollback || previous is null)
        {
            return null;
        }

        var order = For(previous, previous.Rollback);
        if (order == UpdateOrder.StartFirst && !current.AnonymousVolumePaths.IsEmpty)
        {
            return new RollbackTarget(previous, UpdateOrder.StopFirst, "the replaced replica's anonymous volumes pass back");
        }

        return new RollbackTarget(previous, order, null);
    }
}
