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
}

internal sealed record InventoryHost(
    string Name,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, string> Vars);

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
