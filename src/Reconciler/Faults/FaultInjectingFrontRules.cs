using Berth.Reconciler.Fronts;

namespace Berth.Reconciler.Faults;

/// <summary>
/// A front's rule swap (`iptables-restore` in its network namespace) changes where a service's traffic
/// goes without any engine call: it passes through <see cref="FaultInjection"/> like the engine's mutating
/// calls do. Only in place when <c>BERTH_FAULT_INJECT</c> is set (<see cref="Wrap"/>).
/// </summary>
public sealed class FaultInjectingFrontRules(IFrontRules inner, FaultInjection faults) : IFrontRules
{
    public static IFrontRules Wrap(IFrontRules rules) =>
        FaultInjection.Active is { } faults ? new FaultInjectingFrontRules(rules, faults) : rules;

    public Task ApplyAsync(int frontPid, string natTable, CancellationToken cancellationToken) =>
        faults.AroundAsync("front-rules", $"pid {frontPid}", () => inner.ApplyAsync(frontPid, natTable, cancellationToken));
}
