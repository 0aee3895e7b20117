using System.Collections.Immutable;
using Berth.Reconciler.Engine;

namespace Berth.Reconciler.Fronts;

/// <summary>
/// The container a front runs in, as the front needs it; the engine only maps it to its API
/// (<see cref="IContainerEngine.CreateFrontAsync"/>). It is created on its first network only, WITHOUT the
/// service's aliases, and connected to the others before it starts: it takes the service's names only
/// once its rules are in (PlanExecutor), so it never answers for the service without forwarding.
/// </summary>
/// <param name="Image">The front image's reference (<see cref="FrontImage.EnsureAsync"/>).</param>
/// <param name="Networks">The service's networks, in order; the first is the one it is created on.</param>
public sealed record FrontContainer(
    string Name,
    string Image,
    ImmutableArray<string> Command,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, string> Sysctls,
    ImmutableArray<string> Networks)
{
    /// <summary>Nothing to write: the process only sleeps, the forwarding is the kernel's.</summary>
    public bool ReadOnlyRootFilesystem => true;

    /// <summary>No capability at all: nat rules are installed from outside (nsenter), not by the front.</summary>
    public ImmutableArray<string> DroppedCapabilities { get; } = ["ALL"];

    public ImmutableArray<string> SecurityOptions { get; } = ["no-new-privileges"];

    /// <summary>
    /// Restarted with the engine (a reboot, an engine upgrade) unless someone stopped it; a restarted front
    /// has a new network namespace without rules, which FrontWatcher notices at once.
    /// </summary>
    public bool RestartUnlessStopped => true;

    public static FrontContainer For(FrontDefinition front, ResourceOwner owner, string image) => new(
        front.Name,
        image,
        [.. FrontImage.Command],
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [BerthLabels.ManagedBy] = BerthLabels.ManagedByValue,
            [BerthLabels.Host] = owner.HostIdentity,
            [BerthLabels.Stack] = front.Stack,
            [BerthLabels.Service] = front.Service,
            [BerthLabels.Role] = BerthLabels.FrontRole,
            [BerthLabels.ConfigHash] = front.Hash,
            [BerthLabels.Revision] = owner.Revision ?? string.Empty,
        }),
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // It forwards what it receives back out of the interface it came in on: no ICMP
            // redirects, which would tell clients to send the front's traffic to a replica directly.
            // A redirect goes out when `all` OR the interface says so; the interfaces that carry
            // traffic are created after start (the front is reconnected with the service's names,
            // PlanExecutor) and take `default`. Per-interface names are not used: Docker 25+ refuses
            // net.ipv4.conf.ethN.* in HostConfig.Sysctls.
            ["net.ipv4.ip_forward"] = "1",
            ["net.ipv4.conf.all.send_redirects"] = "0",
            ["net.ipv4.conf.default.send_redirects"] = "0",
        }),
        [.. front.Networks.Select(network => network.EngineName)]);
}
