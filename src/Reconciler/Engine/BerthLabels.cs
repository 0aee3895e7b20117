using System.Collections.Immutable;
using System.Globalization;

namespace Berth.Reconciler.Engine;

/// <summary>
/// The labels that make a resource berth's. Observation and pruning only ever see resources that carry
/// <see cref="ManagedBy"/> = "berth" AND <see cref="Host"/> = this host identity, so two identities on
/// one engine never touch each other, and nothing without these labels is ever modified or removed.
/// </summary>
public static class BerthLabels
{
    /// <summary>Every label berth writes starts with this.</summary>
    public const string Prefix = "io.berth.";

    public const string ManagedBy = "io.berth.managed-by";
    public const string ManagedByValue = "berth";
    public const string Host = "io.berth.host";
    public const string Stack = "io.berth.stack";
    public const string Service = "io.berth.service";
    public const string Replica = "io.berth.replica";
    public const string ConfigHash = "io.berth.config-hash";
    public const string Revision = "io.berth.revision";

    /// <summary>On networks and volumes: the key under top-level `networks:` / `volumes:`.</summary>
    public const string ResourceKey = "io.berth.key";

    /// <summary>
    /// On a start-first replacement while it is unproven: the name of the container it replaces.
    /// The next pass uses it to finish or undo a replacement that a crash interrupted.
    /// </summary>
    public const string ReplacementOf = "io.berth.replacement-of";

    /// <summary>On a service's front (x-berth.front): <see cref="FrontRole"/>. Replicas do not carry it.</summary>
    public const string Role = "io.berth.role";
    public const string FrontRole = "front";

    /// <summary>
    /// "true" on the replicas of a service with a front: when one starts outside a pass (its restart
    /// policy, a reboot) the daemon re-programs the front at once (FrontWatcher), as its address may
    /// have changed.
    /// </summary>
    public const string BehindFront = "io.berth.behind-front";

    /// <summary>The label filter that selects exactly this host identity's resources.</summary>
    public static Dictionary<string, IDictionary<string, bool>> OwnedBy(string hostIdentity) => new()
    {
        ["label"] = new Dictionary<string, bool>
        {
            [$"{ManagedBy}={ManagedByValue}"] = true,
            [$"{Host}={hostIdentity}"] = true,
        },
    };

    public static bool IsOwnedBy(IDictionary<string, string>? labels, string hostIdentity) =>
        labels is not null
        && labels.TryGetValue(ManagedBy, out var managedBy) && managedBy == ManagedByValue
        && labels.TryGetValue(Host, out var host) && host == hostIdentity;

    /// <summary>The labels a user gave a resource: everything but berth's own <c>io.berth.*</c> labels.</summary>
    public static ImmutableSortedDictionary<string, string> UserLabels(IDictionary<string, string>? labels) =>
        (labels ?? new Dictionary<string, string>())
            .Where(label => !label.Key.StartsWith(Prefix, StringComparison.Ordinal))
            .ToImmutableSortedDictionary(label => label.Key, label => label.Value, StringComparer.Ordinal);

    public static string Format(int replica) => replica.ToString(CultureInfo.InvariantCulture);
}
