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
    private readonly List<SpecError> errors = [];

    public int Count => errors.Count;

    public void Add(Location at, string message) =>
        errors.Add(new SpecError(at.File, Math.Max(1, at.Line), Math.Max(1, at.Column), message));

    public void AddRange(IEnumerable<SpecError> more) => errors.AddRange(more);

    /// <summary>Sorted by place; duplicates (an anchor reused by aliases is read more than once) removed.</summary>
    /// <param name="secretValues">
    /// Host-local values to blank out of every message. Messages describe secret-bearing values by
    /// variable name already (ScalarNode.Describe); this is the net under that rule, for values that
    /// end up in an identifier (a network or volume name built from a secret, say).
    /// </param>
    public ImmutableArray<SpecError> ToSortedArray(IEnumerable<string>? secretValues = null) =>
        [.. errors.Select(error => WithoutSecrets(error, secretValues)).Distinct()
            .OrderBy(error => error.File, StringComparer.Ordinal)
            .ThenBy(error => error.Line)
            .ThenBy(error => error.Column)
            .ThenBy(error => error.Message, StringComparer.Ordinal)];

    private static SpecError WithoutSecrets(SpecError error, IEnumerable<string>? secretValues)
    {
        var message = error.Message;
        // Longest first, so a secret containing another is blanked whole. Very short values would
        // blank ordinary words and are no secret worth the name.
        foreach (var secret in (secretValues ?? []).Where(value => value.Length >= 4).OrderByDescending(value => value.Length))
        {
            message = message.Replace(secret, "(hidden)", StringComparison.Ordinal);
        }

        return message == error.Message ? error : error with { Message = message };
    }
}
