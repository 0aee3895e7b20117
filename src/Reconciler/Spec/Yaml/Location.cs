using System.Collections.Immutable;

namespace Berth.Reconciler.Spec.Yaml;

/// <summary>A place in a repository file: what every error points at.</summary>
internal readonly record struct Location(string File, int Line, int Column)
{
    public static Location StartOf(string file) => new(file, 1, 1);

    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>Collects every error of a load, so that one pass reports all of them.</summary>
internal sealed class ErrorCollector
{
    private readonly List<(SpecError Error, bool AboutSecretValue)> errors = [];

    public int Count => errors.Count;

    /// <param name="aboutSecretValue">
    /// The error is about a value that holds a host-local (secret) value: whatever it quotes is a piece
    /// of that value (a volume option split off at ',', a did-you-mean for it), so all of it is masked.
    /// </param>
    public void Add(Location at, string message, bool aboutSecretValue = false) =>
        errors.Add((new SpecError(at.File, Math.Max(1, at.Line), Math.Max(1, at.Column), message), aboutSecretValue));

    public void AddRange(IEnumerable<SpecError> more) => errors.AddRange(more.Select(error => (error, false)));

    /// <summary>Sorted by place; duplicates (an anchor reused by aliases is read more than once) removed.</summary>
    /// <param name="secretValues">Host-local values to mask (see <see cref="SecretMasking"/>).</param>
    public ImmutableArray<SpecError> ToSortedArray(IEnumerable<string>? secretValues = null)
    {
        var secrets = SecretMasking.Prepare(secretValues);
        return [.. errors.Select(entry => SecretMasking.Mask(entry.Error, entry.AboutSecretValue, secrets)).Distinct()
            .OrderBy(error => error.File, StringComparer.Ordinal)
            .ThenBy(error => error.Line)
            .ThenBy(error => error.Column)
            .ThenBy(error => error.Message, StringComparer.Ordinal)];
    }
}
