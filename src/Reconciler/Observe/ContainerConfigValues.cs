using System.Collections.Immutable;

namespace Berth.Reconciler.Observe;

/// <summary>
/// The string fields of a container's create config, as the engine reports them, that a desired value can
/// be interpolated into and a rollback may have to take back (<see cref="State.StoredSecrets"/>): the
/// environment, <c>Cmd</c>, <c>Entrypoint</c>, the labels, the health-check test, the log options, the
/// extra hosts, user, working directory and hostname. Each is passed to the engine as the spec has it
/// (Engine.CreateParametersMapper), so the inspect gives back the same strings.
/// It holds secrets, so it never prints them and takes no part in the equality of records that carry it.
/// </summary>
public sealed class ContainerConfigValues : IEquatable<ContainerConfigValues>
{
    public static readonly ContainerConfigValues Empty = new();

    public ContainerEnvironment Environment { get; init; } = ContainerEnvironment.Empty;

    public ImmutableArray<string>? Command { get; init; }

    public ImmutableArray<string>? Entrypoint { get; init; }

    /// <summary>Every label of the container (berth's own too: a spec's user labels are looked up by key).</summary>
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ImmutableArray<string>? HealthCheckTest { get; init; }

    public ImmutableDictionary<string, string> LogOptions { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ImmutableArray<string> ExtraHosts { get; init; } = [];

    public string? User { get; init; }

    public string? WorkingDir { get; init; }

    public string? Hostname { get; init; }

    public override string ToString() => "(hidden)";

    public bool Equals(ContainerConfigValues? other) => other is not null;

    public override bool Equals(object? obj) => obj is ContainerConfigValues;

    public override int GetHashCode() => 0;
}
