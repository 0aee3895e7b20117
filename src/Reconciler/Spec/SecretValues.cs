using System.Collections.Immutable;

namespace Berth.Reconciler.Spec;

/// <summary>
/// The secret values a desired state was loaded with (host env files and the host environment; any other
/// source of secrets adds its values with <see cref="With(IEnumerable{string})"/>): what text that berth copies from elsewhere
/// (a container's log lines, its health-check output, an engine error) is masked with before it is printed,
/// logged or put in /status. berth's own messages do not need it: they never print a value
/// (<see cref="Yaml.SecretMasking"/> covers spec errors).
/// </summary>
/// <remarks>
/// Never printed: <see cref="ToString"/> says how many values it holds, not which. Not content of the desired
/// state either: every two instances are equal, so a <see cref="Model.DesiredState"/> compares as before.
/// </remarks>
public sealed class SecretValues : IEquatable<SecretValues>
{
    /// <summary>
    /// Shorter values are not masked in copied text: a 3-character secret ("db1") would blank every
    /// occurrence of it in every log line and say which lines held it. Such a value is not a secret anyway.
    /// </summary>
    public const int MinimumMaskedLength = 4;

    public static readonly SecretValues None = new([]);

    /// <summary>Longest first, so that a value containing another is masked whole.</summary>
    private readonly ImmutableArray<string> values;

    private SecretValues(ImmutableArray<string> values) => this.values = values;

    public static SecretValues Of(IEnumerable<string> values) => None.With(values);

    /// <summary>These values and <paramref name="more"/> (empty ones ignored).</summary>
    public SecretValues With(IEnumerable<string> more)
    {
        var all = values.Concat(more).Where(value => value.Length > 0).Distinct(StringComparer.Ordinal)
            .OrderByDescending(value => value.Length).ThenBy(value => value, StringComparer.Ordinal).ToImmutableArray();
        return all.Length == 0 ? None : new SecretValues(all);
    }

    /// <summary>These values and those of <paramref name="more"/>.</summary>
    public SecretValues With(SecretValues more) => More(more.values);

    private SecretValues More(ImmutableArray<string> more) => more.IsEmpty ? this : With((IEnumerable<string>)more);

    public int Count => values.Length;

    /// <summary>Whether every value of <paramref name="other"/> is one of these (by value: <see cref="Equals(SecretValues?)"/> compares nothing).</summary>
    public bool Includes(SecretValues other) =>
        ReferenceEquals(this, other) || other.values.All(value => values.Contains(value, StringComparer.Ordinal));

    /// <summary>Whether <paramref name="text"/> contains a value that <see cref="Mask"/> would hide.</summary>
    public bool OccursIn(string text) =>
        values.Any(value => value.Length >= MinimumMaskedLength && text.Contains(value, StringComparison.Ordinal));

    /// <summary><paramref name="text"/> with every value of <see cref="MinimumMaskedLength"/> characters or more replaced by "(hidden)".</summary>
    public string Mask(string text)
    {
        foreach (var value in values)
        {
            if (value.Length >= MinimumMaskedLength)
            {
                text = text.Replace(value, Yaml.SecretMasking.Hidden, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <inheritdoc cref="Mask(string)"/>
    public string? MaskOrNull(string? text) => text is null ? null : Mask(text);

    public override string ToString() => $"({Count} secret values)";

    public bool Equals(SecretValues? other) => other is not null;

    public override bool Equals(object? obj) => obj is SecretValues;

    public override int GetHashCode() => 0;
}
