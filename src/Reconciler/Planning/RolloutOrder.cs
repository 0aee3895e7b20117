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
        if (publishesFixedPort || container.ContainerName is not null || (service.Replicas <= 1 && hasNamedVolume))
        {
            return UpdateOrder.StopFirst;
        }

        return UpdateOrder.StartFirst;
    }
}
