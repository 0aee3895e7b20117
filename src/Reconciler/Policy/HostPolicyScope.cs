using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Policy;

/// <summary>
/// The host policy a desired state was loaded (and judged) under, and the repository directory its
/// relative binds resolve against: kept with the state so that what a pass may create besides the
/// commit, the last applied specs a failed rollout goes back to, is judged by the same policy.
/// </summary>
public sealed record HostPolicyScope(HostPolicy Policy, string RepositoryDirectory)
{
    /// <summary>
    /// The services ("stack/service") whose rollback target (<see cref="AppliedService.RollbackSpec"/>,
    /// from the state file) this policy refuses, each with its first violation: a spec applied before
    /// the policy was added or tightened. Reads the host's file system (links in bind paths), so it is
    /// called before planning and the planner stays pure.
    /// </summary>
    public ImmutableSortedDictionary<string, string> RefusedRollbacks(DesiredState desired, AppliedState applied)
    {
        var refused = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var hostServices = desired.AllServices.ToList();
        foreach (var service in hostServices)
        {
            if (applied.Services.GetValueOrDefault(service.QualifiedName)?.RollbackSpec is not { } previous)
            {
                continue;
            }

            // The rollback target runs instead of the desired service, beside the host's other services.
            var others = hostServices.Where(other => other.QualifiedName != service.QualifiedName);
            var violations = HostPolicyCheck.Violations(previous, others, Policy, RepositoryDirectory);
            if (!violations.IsEmpty)
            {
                refused[service.QualifiedName] = violations.Length == 1
                    ? violations[0]
                    : $"{violations[0]} (and {(violations.Length - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)} more)";
            }
        }

        return refused.ToImmutable();
    }
}
