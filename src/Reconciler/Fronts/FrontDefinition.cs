using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Fronts;

/// <summary>
/// The front of a service with <c>x-berth: { front: true }</c>: a container that holds the service's
/// DNS aliases on each of its networks and forwards every connection to one of the replicas that passed
/// their health gate. Its address never changes during a rollout, so nothing a client resolved goes
/// stale when a replica leaves (docs/rollout.md, "The front").
/// </summary>
/// <param name="Networks">The service's networks, each with the aliases the front answers to there.</param>
/// <param name="Hash">Changes exactly when the front must be re-created (its name, networks or aliases).</param>
public sealed record FrontDefinition(string Stack, string Service, string Name, ImmutableArray<FrontNetwork> Networks, string Hash)
{
    /// <summary>
    /// The network whose addresses the forwarding rules use: replicas share all the service's networks,
    /// so one is enough, and the front reaches it from whichever network a client came in on.
    /// </summary>
    public string PrimaryNetwork => Networks[0].EngineName;

    public static FrontDefinition For(ServiceSpec service)
    {
        var name = $"{service.Stack}-{service.Name}-front";
        ImmutableArray<FrontNetwork> networks = [.. service.Container.Networks.Select(network =>
            new FrontNetwork(network.EngineName, [.. CreateParametersMapper.ServiceAliases(service, network)]))];
        var text = new StringBuilder(name);
        foreach (var network in networks)
        {
            text.Append('\n').Append(network.EngineName).Append('=').AppendJoin(',', network.Aliases);
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..20];
        return new FrontDefinition(service.Stack, service.Name, name, networks, hash);
    }
}

public sealed record FrontNetwork(string EngineName, ImmutableArray<string> Aliases);
