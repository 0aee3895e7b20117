using Berth.Reconciler.Spec;

namespace Berth.Daemon.Configuration;

/// <summary>
/// The result of loading a config: either a config or every error found, each as file:line:column in
/// the same form as the desired-state repository's (<see cref="SpecError"/>).
/// </summary>
public sealed record ConfigLoadResult(DaemonConfig? Config, IReadOnlyList<SpecError> Errors)
{
    public bool Succeeded => Config is not null && Errors.Count == 0;
}
