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
    public ImmutableArray<SpecError> ToSortedArray() =>
        [.. errors.Distinct()
            .OrderBy(error => error.File, StringComparer.Ordinal)
            .ThenBy(error => error.Line)
            .ThenBy(error => error.Column)
            .ThenBy(error => error.Message, StringComparer.Ordinal)];
}
