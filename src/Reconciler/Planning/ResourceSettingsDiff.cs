using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Planning;

/// <summary>
/// What differs between a network's or volume's Compose definition and what the engine holds.
/// The engine cannot change a network's or volume's settings in place: a difference can only be
/// applied by removing and re-creating it, which berth never does implicitly. Re-creating a network
/// disconnects every container on it; re-creating a volume loses its data.
/// </summary>
/// <remarks>
/// Differences are named by Compose key and, for maps, by the keys that differ, never by value:
/// driver options of volume drivers carry credentials (CIFS <c>o: password=...</c>), and berth never
/// prints a secret.
/// </remarks>
public static class ResourceSettingsDiff
{
    /// <returns>Empty when they match, or when the engine's settings were not observed.</returns>
    public static ImmutableArray<string> Describe(NetworkSpec desired, ObservedNetworkSettings? observed)
    {
        if (observed is null)
        {
            return [];
        }

        var differences = Common(desired.Driver, desired.DriverOptions, desired.Labels, observed.Driver, observed.DriverOptions, observed.Labels);
        if (desired.Internal != observed.Internal)
        {
            differences.Add($"internal ({Bool(observed.Internal)} -> {Bool(desired.Internal)})");
        }

        if (desired.EnableIpv6 != observed.EnableIpv6)
        {
            differences.Add($"enable_ipv6 ({Bool(observed.EnableIpv6)} -> {Bool(desired.EnableIpv6)})");
        }

        if (desired.Ipam is { } ipam && observed.Ipam is { } actual && !IpamMatches(ipam, actual))
        {
            differences.Add("ipam");
        }

        return differences.ToImmutable();
    }

    /// <summary>
    /// Without `ipam:` the engine picks the pools itself: nothing to compare. With it, each pool's
    /// subnet must match, and what the file sets of its range, gateway and reserved addresses: the
    /// engine fills in a gateway the file left out, and its driver is "default" when none was named.
    /// </summary>
    private static bool IpamMatches(NetworkIpam desired, NetworkIpam observed) =>
        (desired.Driver ?? "default") == (observed.Driver ?? "default")
        && desired.Options.All(option => observed.Options.TryGetValue(option.Key, out var value) && value == option.Value)
        && desired.Pools.Length == observed.Pools.Length
        && desired.Pools.Zip(observed.Pools).All(pair =>
            pair.First.Subnet == pair.Second.Subnet
            && (pair.First.IpRange is null || pair.First.IpRange == pair.Second.IpRange)
            && (pair.First.Gateway is null || pair.First.Gateway == pair.Second.Gateway)
            && pair.First.AuxAddresses.All(aux => pair.Second.AuxAddresses.TryGetValue(aux.Key, out var address) && address == aux.Value));

    /// <returns>Empty when they match, or when the engine's settings were not observed.</returns>
    public static ImmutableArray<string> Describe(VolumeSpec desired, ObservedVolumeSettings? observed) =>
        observed is null
            ? []
            : Common(desired.Driver, desired.DriverOptions, desired.Labels, observed.Driver, observed.DriverOptions, observed.Labels).ToImmutable();

    /// <summary>What networks and volumes share: driver, driver_opts, labels.</summary>
    private static ImmutableArray<string>.Builder Common(
        string desiredDriver,
        IReadOnlyDictionary<string, string> desiredOptions,
        IReadOnlyDictionary<string, string> desiredLabels,
        string observedDriver,
        IReadOnlyDictionary<string, string> observedOptions,
        IReadOnlyDictionary<string, string> observedLabels)
    {
        var differences = ImmutableArray.CreateBuilder<string>();
        AddDriver(differences, desiredDriver, observedDriver);
        AddMap(differences, "driver_opts", desiredOptions, observedOptions);
        AddMap(differences, "labels", desiredLabels, observedLabels);
        return differences;
    }

    private static void AddDriver(ImmutableArray<string>.Builder differences, string desired, string observed)
    {
        if (!string.Equals(desired, observed, StringComparison.Ordinal))
        {
            differences.Add($"driver ({observed} -> {desired})");
        }
    }

    private static void AddMap(
        ImmutableArray<string>.Builder differences,
        string composeKey,
        IReadOnlyDictionary<string, string> desired,
        IReadOnlyDictionary<string, string> observed)
    {
        var changedKeys = desired.Keys.Union(observed.Keys)
            .Where(key => !desired.TryGetValue(key, out var wanted) || !observed.TryGetValue(key, out var actual) || wanted != actual)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (changedKeys.Count > 0)
        {
            differences.Add($"{composeKey} ({string.Join(", ", changedKeys)})");
        }
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
