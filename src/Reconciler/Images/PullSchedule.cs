using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Images;

/// <summary>
/// Which images a pass asks their registry about (pure: no I/O, the clock passed in). An image is due when a
/// service that runs it has a pull_policy that checks (always, daily, weekly, every_&lt;duration&gt;), it is
/// referenced by tag (a digest cannot move), it is present locally (a missing one is pulled anyway), and its
/// last successful check is at least the shortest interval of those services ago (always: every pass). When
/// nothing is due a pass asks no registry and makes no extra engine call.
/// </summary>
public static class PullSchedule
{
    /// <param name="lastChecks">Image reference -> when its registry last answered a check (berth's state file).</param>
    /// <returns>The due image references, sorted.</returns>
    public static ImmutableArray<string> DueImages(DesiredState desired, IReadOnlyDictionary<string, string> localImageIds, IReadOnlyDictionary<string, DateTimeOffset> lastChecks, DateTimeOffset now) =>
    [
        .. desired.AllServices
            .Where(service => service.Replicas > 0 && service.PullPolicy.ChecksRegistry && localImageIds.ContainsKey(service.Container.Image))
            .GroupBy(service => service.Container.Image, StringComparer.Ordinal)
            .Where(image => !RegistryReference.Parse(image.Key).IsPinned)
            .Where(image =>
            {
                var interval = image.Min(service => service.PullPolicy.CheckInterval!.Value);
                return !lastChecks.TryGetValue(image.Key, out var last) || now - last >= interval;
            })
            .Select(image => image.Key)
            .Order(StringComparer.Ordinal),
    ];
}
