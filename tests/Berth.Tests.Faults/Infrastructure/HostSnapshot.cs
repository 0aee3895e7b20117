using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Faults.Infrastructure;

/// <summary>
/// What one host identity holds on the real engine, in the terms a user relies on: each container's
/// name, role, config hash and image, whether it runs; the networks and volumes berth made. Two passes
/// that reach the same outcome produce equal snapshots (ids and times are left out: they differ by design).
/// The invariant checker of the fault suite: <see cref="AssertConverged"/>.
/// </summary>
public sealed record HostSnapshot(
    ImmutableArray<HostSnapshot.Container> Containers,
    ImmutableArray<string> Networks,
    ImmutableArray<string> Volumes)
{
    public sealed record Container(string Name, string? ConfigHash, string Image, string State, string? ReplacementOf)
    {
        public override string ToString() => $"{Name} hash={ConfigHash} image={Image} {State}{(ReplacementOf is null ? "" : " replacement-of=" + ReplacementOf)}";
    }

    /// <summary>Everything berth created for <paramref name="hostIdentity"/> (by its labels; nothing else is listed).</summary>
    public static async Task<HostSnapshot> TakeAsync(IDockerClient client, string hostIdentity)
    {
        var filter = BerthLabels.OwnedBy(hostIdentity);
        var containers = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter });
        var networks = await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter });
        var volumes = await client.Volumes.ListAsync(new VolumesListParameters { Filters = filter });
        return new HostSnapshot(
            [.. containers
                .Select(container => new Container(
                    container.Names[0].TrimStart('/'),
                    (container.Labels.TryGetValue(BerthLabels.ConfigHash, out var hash) ? hash : null),
                    container.Image,
                    container.State,
                    (container.Labels.TryGetValue(BerthLabels.ReplacementOf, out var replaced) ? replaced : null)))
                .OrderBy(container => container.Name, StringComparer.Ordinal)],
            [.. networks.Select(network => network.Name).Order(StringComparer.Ordinal)],
            [.. (volumes.Volumes ?? []).Select(volume => volume.Name).Order(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// The invariants after a recovery: no temporary container (an unproven `-next-` replacement, a
    /// container that replaces another under a name not yet its own), every container running, exactly one container per name
    /// the reference has and no other, with the reference's config hash and image; the same networks
    /// and volumes. <paramref name="reference"/> is what an uninterrupted pass of the same change left.
    /// </summary>
    public void AssertConverged(HostSnapshot reference, string context)
    {
        // A replacement keeps its replacement-of label after it took the canonical name over (labels
        // never change): only one still under another name is unfinished.
        var temporaries = Containers.Where(container => container.Name.Contains("-next-", StringComparison.Ordinal)
            || (container.ReplacementOf is not null && container.ReplacementOf != container.Name)).ToList();
        Assert.True(temporaries.Count == 0, $"{context}: temporary containers left: {string.Join("; ", temporaries)}");
        var notRunning = Containers.Where(container => container.State != "running").ToList();
        Assert.True(notRunning.Count == 0, $"{context}: containers not running: {string.Join("; ", notRunning)}");
        Assert.True(Containers.SequenceEqual(reference.Containers),
            $"{context}: containers differ from an uninterrupted pass.\nexpected:\n  {string.Join("\n  ", reference.Containers)}\nactual:\n  {string.Join("\n  ", Containers)}");
        Assert.True(Networks.SequenceEqual(reference.Networks), $"{context}: networks [{string.Join(", ", Networks)}], expected [{string.Join(", ", reference.Networks)}]");
        Assert.True(Volumes.SequenceEqual(reference.Volumes), $"{context}: volumes [{string.Join(", ", Volumes)}], expected [{string.Join(", ", reference.Volumes)}]");
    }

    /// <summary>The same snapshot with the scope id (host identity and stack prefix) replaced: comparable across scopes.</summary>
    public HostSnapshot Normalised(string scopeId) => new(
        [.. Containers.Select(container => container with
        {
            Name = container.Name.Replace(scopeId, "SCOPE", StringComparison.Ordinal),
            ReplacementOf = container.ReplacementOf?.Replace(scopeId, "SCOPE", StringComparison.Ordinal),
        })],
        [.. Networks.Select(name => name.Replace(scopeId, "SCOPE", StringComparison.Ordinal))],
        [.. Volumes.Select(name => name.Replace(scopeId, "SCOPE", StringComparison.Ordinal))]);
}
