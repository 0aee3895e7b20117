using System.Collections.Immutable;

namespace Berth.Reconciler.Spec.Model;

/// <summary>
/// Where a host stands in a staged rollout (berth.yaml `waves:` and `hosts.NAME.wave`), as the commit
/// being loaded says: the host's wave and every host of the earlier waves, each with the soak time of
/// its own wave. A host of wave N applies a commit only when every one of <see cref="Earlier"/> has run
/// it converged and healthy for its soak time (docs/fleet.md, "Waves").
/// </summary>
/// <param name="Wave">The host's wave, from 1.</param>
/// <param name="Earlier">The hosts of waves 1 to Wave-1, sorted by wave then name; empty for wave 1.</param>
public sealed record WavePosition(int Wave, ImmutableArray<WaveMember> Earlier)
{
    /// <summary>Wave 1 (or no earlier host at all) applies at once, as a host without a wave does.</summary>
    public bool IsGated => !Earlier.IsEmpty;
}

/// <param name="Host">The host's name in the inventory (the identity its daemon reports under).</param>
/// <param name="Wave">Its wave.</param>
/// <param name="Soak">How long it must run a commit converged and healthy before later waves take it.</param>
public sealed record WaveMember(string Host, int Wave, TimeSpan Soak);
