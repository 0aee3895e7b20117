using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Spec;

/// <summary>The desired state of one host, or every error that prevents it.</summary>
/// <param name="State">Null exactly when <paramref name="Errors"/> is non-empty. A host outside the inventory gets an empty state.</param>
/// <param name="HostInInventory">False when berth.yaml does not name the host: it runs nothing (not an error).</param>
public sealed record HostLoadResult(string Host, DesiredState? State, ImmutableArray<SpecError> Errors, bool HostInInventory)
{
    /// <summary>The inventory file (berth.yaml or berth.yml), or null for a bare Compose project.</summary>
    public string? InventoryFile { get; init; }

    /// <summary>The host names of the inventory, sorted; empty without one.</summary>
    public ImmutableArray<string> KnownHosts { get; init; } = [];

    /// <summary>
    /// For the commands that act on one host (plan, apply, the daemon): a host name that is not in the
    /// inventory is almost always a typo or a hostname that differs from the inventory's, and running
    /// nothing there would look like "no changes". Null when the host is in the inventory.
    /// </summary>
    public string? HostNotInInventoryMessage => HostInInventory
        ? null
        : HostNotInInventory(Host, InventoryFile ?? "berth.yaml", KnownHosts);

    public static string HostNotInInventory(string host, string inventoryFile, ImmutableArray<string> knownHosts) =>
        $"host {host} is not in the inventory ({inventoryFile}); known hosts: {(knownHosts.IsDefaultOrEmpty ? "(none)" : string.Join(", ", knownHosts))}. " +
        "Pass --host with one of them (berth daemon: `host:` in its config), or add the host to the inventory";
}

/// <summary>The inventory-level view of a repository, for `berth validate` without --host.</summary>
/// <param name="Hosts">Host names in berth.yaml, sorted. Empty without an inventory (then the one stack runs on every host).</param>
/// <param name="Errors">Inventory errors only (berth.yaml itself, missing Compose files); Compose contents are checked per host.</param>
/// <param name="HasInventory">False when the repository has no berth.yaml and its root Compose file is the one stack. (Added for the CLI.)</param>
public sealed record RepositoryLoadResult(ImmutableArray<string> Hosts, ImmutableArray<SpecError> Errors, bool HasInventory = true);
