using System.Collections.Immutable;
using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Policy;

/// <summary>Keys under which the Compose reader remembers where a value the policy judges was written.</summary>
internal static class PolicyPositionKeys
{
    public const string Privileged = "privileged";

    public static string Capability(string value) => "cap_add\n" + value;

    public static string Device(string value) => "devices\n" + value;

    public static string SecurityOption(string value) => "security_opt\n" + value;

    public static string Sysctl(string key) => "sysctls\n" + key;
}

/// <summary>Where one service's policy-relevant values were written; anything not found points at the service's key.</summary>
internal sealed record ServicePlaces(
    Location Key,
    Location? Image,
    Location? NetworkMode,
    ImmutableDictionary<string, Location> MountsByTarget,
    ImmutableDictionary<string, Location> Values)
{
    public static ServicePlaces Of(ServiceDraft service) => new(
        service.KeyLocation,
        service.Image?.At,
        service.NetworkMode?.At,
        service.Mounts.ToImmutableDictionary(pair => pair.Key, pair => pair.Value.At, StringComparer.Ordinal),
        service.PolicyPositions.ToImmutableDictionary(StringComparer.Ordinal));

    public Location Of(string positionKey) => Values.TryGetValue(positionKey, out var at) ? at : Key;

    public Location OfMount(string target) => MountsByTarget.TryGetValue(target, out var at) ? at : Key;
}
