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
    private readonly List<Entry> errors = [];

    /// <summary>Places of values whose interpolation failed: that error is their only one.</summary>
    private readonly HashSet<(string File, int Line, int Column)> uninterpolatedValues = [];

    public int Count => errors.Count;

    /// <summary>
    /// Names the repository defines as YAML keys (services, networks, volumes): keys are never
    /// interpolated, so these are public. A secret that equals one is not masked where an error quotes
    /// that name (<see cref="SecretMasking"/>): the name is written in the repository for all to read.
    /// </summary>
    public HashSet<string> PublicNames { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The service whose fields are being read or built, or null. YAML text under an anchor is read
    /// once per alias user, at the same place each time: an error at a place is shown for the first
    /// service that reported there only ("services.web.restart ..."), not once per service.
    /// </summary>
    public string? ReadingService { get; set; }

    /// <param name="aboutSecretValue">
    /// The error is about a value that holds a host-local (secret) value: whatever it quotes is a piece
    /// of that value (a volume option split off at ',', a did-you-mean for it), so all of it is masked.
    /// </param>
    public void Add(Location at, string message, bool aboutSecretValue = false) =>
        errors.Add(new Entry(Normalised(at, message), aboutSecretValue, ReadingService, IsInterpolationFailure: false));

    /// <summary>
    /// A value whose interpolation failed. It stays in the tree as written ("${PORT}:80"), so readers
    /// would report it again as an invalid port, restart, path or name: those errors at its place are
    /// dropped, one error per cause.
    /// </summary>
    public void AddInterpolationFailure(Location at, string message)
    {
        var error = Normalised(at, message);
        uninterpolatedValues.Add((error.File, error.Line, error.Column));
        errors.Add(new Entry(error, AboutSecretValue: false, ReadingService: null, IsInterpolationFailure: true));
    }

    public void AddRange(IEnumerable<SpecError> more) =>
        errors.AddRange(more.Select(error => new Entry(error, AboutSecretValue: false, ReadingService: null, IsInterpolationFailure: false)));

    /// <summary>
    /// Sorted by place; duplicates (an anchor reused by aliases is read more than once), follow-on
    /// errors of a failed interpolation and other alias users' errors at the same place removed.
    /// </summary>
    /// <param name="secretValues">Host-local values to mask (see <see cref="SecretMasking"/>).</param>
    public ImmutableArray<SpecError> ToSortedArray(IEnumerable<string>? secretValues = null)
    {
        var secrets = SecretMasking.Prepare(secretValues);
        var firstServiceAt = new Dictionary<(string File, int Line, int Column), string>();
        return [.. errors.Where(entry => IsFirstOfItsCause(entry, firstServiceAt))
            .Select(entry => SecretMasking.Mask(entry.Error, entry.AboutSecretValue, secrets, PublicNames)).Distinct()
            .OrderBy(error => error.File, StringComparer.Ordinal)
            .ThenBy(error => error.Line)
            .ThenBy(error => error.Column)
            .ThenBy(error => error.Message, StringComparer.Ordinal)];
    }

    private bool IsFirstOfItsCause(Entry entry, Dictionary<(string File, int Line, int Column), string> firstServiceAt)
    {
        var place = (entry.Error.File, entry.Error.Line, entry.Error.Column);
        if (!entry.IsInterpolationFailure && uninterpolatedValues.Contains(place))
        {
            return false;
        }

        return entry.ReadingService is not { } service || firstServiceAt.TryAdd(place, service) || firstServiceAt[place] == service;
    }

    private static SpecError Normalised(Location at, string message) =>
        new(at.File, Math.Max(1, at.Line), Math.Max(1, at.Column), message);

    private readonly record struct Entry(SpecError Error, bool AboutSecretValue, string? ReadingService, bool IsInterpolationFailure);
}
