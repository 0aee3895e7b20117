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

        return differences.ToImmutable();
    }

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
