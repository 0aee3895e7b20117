using System.Collections.Immutable;

namespace Berth.Reconciler.Engine;

public static class ContainerEngineExtensions
{
    /// <summary>
    /// Gives a container other DNS aliases on a network it is attached to. Docker cannot edit an
    /// endpoint's aliases: disconnecting and connecting again is the only way (the container's address
    /// on that network may change; its network namespace and everything in it stay).
    /// </summary>
    public static async Task ReconnectWithAliasesAsync(this IContainerEngine engine, string containerId, string network, ImmutableArray<string> aliases, CancellationToken cancellationToken)
    {
        await engine.DisconnectNetworkAsync(containerId, network, cancellationToken).ConfigureAwait(false);
        await engine.ConnectNetworkAsync(containerId, network, aliases, cancellationToken).ConfigureAwait(false);
    }
}
