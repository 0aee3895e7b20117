using System.Collections.Immutable;

namespace Berth.Reconciler.Observe;

/// <summary>
/// Which of berth's replicas a pass inspects to compare what only an inspect shows (the limits that
/// `docker update` changes) with the spec. The lists show everything else, so this is opt-in.
/// </summary>
/// <param name="All">Every replica: `--drift-check`, and the daemon's resync.</param>
/// <param name="ContainerIds">Only these (the daemon: containers an `update` event named).</param>
public sealed record DriftCheckScope(bool All, ImmutableHashSet<string> ContainerIds)
{
    public static readonly DriftCheckScope None = new(false, []);

    public static readonly DriftCheckScope Everything = new(true, []);

    public static DriftCheckScope Only(IEnumerable<string> containerIds) => new(false, [.. containerIds]);

    public bool IsNone => !All && ContainerIds.IsEmpty;

    public bool Covers(string containerId) => All || ContainerIds.Contains(containerId);
}
