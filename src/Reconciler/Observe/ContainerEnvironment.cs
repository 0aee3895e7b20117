using System.Collections.Immutable;

namespace Berth.Reconciler.Observe;

/// <summary>
/// A container's environment as the engine reports it (<c>Config.Env</c>): what a rollback restores
/// secret values from (<see cref="State.StoredSecrets"/>). It holds secrets, so it never prints them:
/// records that carry it (<see cref="Engine.ContainerSnapshot"/>) print "(hidden)" for it, and it takes no
/// part in their equality.
/// </summary>
public sealed class ContainerEnvironment : IEquatable<ContainerEnvironment>
{
    public static readonly ContainerEnvironment Empty = new(ImmutableDictionary<string, string>.Empty);

    private readonly ImmutableDictionary<string, string> variables;

    private ContainerEnvironment(ImmutableDictionary<string, string> variables) => this.variables = variables;

    /// <summary>From the engine's `KEY=VALUE` list; a later duplicate wins, as in the engine.</summary>
    public static ContainerEnvironment FromEngine(IEnumerable<string>? entries)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries ?? [])
        {
            var separator = entry.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0)
            {
                builder[entry[..separator]] = entry[(separator + 1)..];
            }
        }

        return builder.Count == 0 ? Empty : new ContainerEnvironment(builder.ToImmutable());
    }

    public bool TryGetValue(string name, out string value) => variables.TryGetValue(name, out value!);

    public override string ToString() => "(hidden)";

    public bool Equals(ContainerEnvironment? other) => other is not null;

    public override bool Equals(object? obj) => obj is ContainerEnvironment;

    public override int GetHashCode() => 0;
}
