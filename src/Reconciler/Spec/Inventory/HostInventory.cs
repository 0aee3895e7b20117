using System.Collections.Immutable;
using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Inventory;

/// <summary>berth.yaml, read and checked: which hosts exist and which stacks each runs.</summary>
internal sealed record HostInventory(
    string File,
    ImmutableSortedDictionary<string, InventoryHost> Hosts,
    ImmutableSortedDictionary<string, InventoryStack> Stacks,
    RepositorySettings Settings)
{
    /// <summary>
    /// berth.yaml's `policy: { pinnedImages: tag | digest }`, with where it is written: a rule for every
    /// host of the repository, on top of each host's own policy (the stricter applies). Null: not set.
    /// </summary>
    public Policy.PinningSource? PinnedImages { get; init; }

    public IEnumerable<InventoryStack> StacksFor(InventoryHost host) => Stacks.Values.Where(stack => stack.Targets(host));

    /// <summary>`waves:`, in order: entry i is wave i+1. Empty (the default): no staged rollout.</summary>
    public ImmutableArray<WaveDefinition> Waves { get; init; } = [];

    /// <summary>
    /// The host's wave: its own `wave:` when set (`skip` takes it out of every wave), else the first
    /// wave whose selector matches its labels; null when it is in none.
    /// </summary>
    public int? WaveOf(InventoryHost host)
    {
        if (host.Wave is { } explicitWave)
        {
            return explicitWave == InventoryHost.SkipWave ? null : explicitWave;
        }

        for (var index = 0; index < Waves.Length; index++)
        {
            if (Waves[index].Selector is { } selector && selector.All(label => host.Labels.TryGetValue(label.Key, out var value) && value == label.Value))
            {
                return index + 1;
            }
        }

        return null;
    }

    /// <summary>The host's <see cref="WavePosition"/> in this commit's inventory; null when it is in no wave.</summary>
    public WavePosition? PositionOf(InventoryHost host)
    {
        if (WaveOf(host) is not { } wave)
        {
            return null;
        }

        ImmutableArray<WaveMember> earlier = [.. Hosts.Values
            .Select(other => (Host: other, Wave: WaveOf(other)))
            .Where(other => other.Wave is { } otherWave && otherWave < wave)
            .Select(other => new WaveMember(other.Host.Name, other.Wave!.Value, SoakOf(other.Wave!.Value)))
            .OrderBy(member => member.Wave).ThenBy(member => member.Host, StringComparer.Ordinal)];
        return new WavePosition(wave, earlier);
    }

    /// <summary>A wave without an entry under `waves:` (a host says `wave: 3`, two are defined) soaks for zero.</summary>
    private TimeSpan SoakOf(int wave) => wave <= Waves.Length ? Waves[wave - 1].Soak : TimeSpan.Zero;
}

/// <param name="Wave">`wave:` as written: a number from 1, <see cref="SkipWave"/> for `skip`, null when not set.</param>
internal sealed record InventoryHost(
    string Name,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, string> Vars,
    int? Wave = null)
{
    /// <summary>`wave: skip`: in no wave, whatever the selectors say (a host offline for days must not block the rollout).</summary>
    public const int SkipWave = 0;
}

/// <summary>One entry of `waves:`.</summary>
/// <param name="Soak">How long each of its hosts must run a commit converged and healthy before the next wave takes it. Default 0.</param>
/// <param name="Selector">Labels a host must all have to be in the wave (unless it names its wave itself); null: only hosts that name it.</param>
internal sealed record WaveDefinition(TimeSpan Soak, ImmutableSortedDictionary<string, string>? Selector);

/// <param name="ComposeFiles">Repository-relative, in merge order, each with the place it is named.</param>
/// <param name="HostNames">Hosts named explicitly.</param>
/// <param name="Selector">Labels a host must all have; null when the stack has no selector.</param>
/// <param name="Profiles">
/// The Compose profiles active for the stack (`profiles:`; `*` activates all), as `--profile` does for
/// docker compose; null when not set (then COMPOSE_PROFILES among the stack's variables, as in Compose).
/// </param>
internal sealed record InventoryStack(
    string Name,
    Location At,
    ImmutableArray<Located<string>> ComposeFiles,
    ImmutableHashSet<string> HostNames,
    ImmutableSortedDictionary<string, string>? Selector,
    ImmutableSortedDictionary<string, string> Vars,
    ImmutableArray<Located<string>>? Profiles = null)
{
    /// <summary>A host runs the stack when it is named, or when it has every label of the selector.</summary>
    public bool Targets(InventoryHost host) =>
        HostNames.Contains(host.Name)
        || (Selector is not null && Selector.All(label => host.Labels.TryGetValue(label.Key, out var value) && value == label.Value));
}
