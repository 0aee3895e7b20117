using System.Collections.Immutable;

namespace Berth.Reconciler.Images;

/// <summary>A tag that now points at another manifest than the local image was pulled as.</summary>
/// <param name="From">The digest the local image has for this repository, or null when it has none (built or tagged locally).</param>
/// <param name="To">The digest the registry serves for the tag now.</param>
public sealed record TagMove(string Image, string? From, string To)
{
    /// <summary>The cause a plan step gives: <c>image tag moved: sha256:ab… → sha256:cd…</c>.</summary>
    public string Cause => $"image tag moved: {(From is null ? "local image has no registry digest" : RegistryReference.ShortDigest(From))} → {RegistryReference.ShortDigest(To)}";
}

/// <summary>What the registry checks of one pass found.</summary>
/// <param name="Moved">Image reference -> its move, for the tags that moved.</param>
/// <param name="Problems">Image reference -> why its registry could not answer (unreachable, refused, no such tag): reported, never acted on.</param>
/// <param name="CheckedAt">Image reference -> when its registry answered: the schedule's next start (kept in the state file).</param>
public sealed record TagCheckResult(
    ImmutableSortedDictionary<string, TagMove> Moved,
    ImmutableSortedDictionary<string, string> Problems,
    ImmutableSortedDictionary<string, DateTimeOffset> CheckedAt)
{
    public static readonly TagCheckResult None = new(
        ImmutableSortedDictionary<string, TagMove>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal));
}

/// <summary>
/// Asks the registries of the due images (<see cref="PullSchedule"/>) what their tags point at (a manifest
/// HEAD each, a few at a time) and compares with the digests the local images were pulled as (RepoDigests,
/// from the pass's one observation). A registry that does not answer is reported and changes nothing.
/// </summary>
public sealed class TagChecker(RegistryClient registry, TimeProvider timeProvider)
{
    /// <summary>How many registry checks run at once. Default 4.</summary>
    public int Parallelism { get; init; } = 4;

    /// <param name="repoDigests">Image reference -> the local image's RepoDigests ("name@sha256:...").</param>
    public async Task<TagCheckResult> CheckAsync(IReadOnlyList<string> dueImages, IReadOnlyDictionary<string, ImmutableArray<string>> repoDigests, CancellationToken cancellationToken)
    {
        if (dueImages.Count == 0)
        {
            return TagCheckResult.None;
        }

        var outcomes = new (string Image, TagMove? Move, string? Problem, DateTimeOffset? At)[dueImages.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, dueImages.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var image = dueImages[index];
                var reference = RegistryReference.Parse(image);
                try
                {
                    var remote = await registry.ManifestDigestAsync(reference, token).ConfigureAwait(false);
                    var local = repoDigests.GetValueOrDefault(image, [])
                        .Select(entry => entry.Split('@', 2))
                        .Where(parts => parts.Length == 2 && reference.SameRepository(parts[0]))
                        .Select(parts => parts[1])
                        .ToList();
                    var move = local.Contains(remote, StringComparer.Ordinal) ? null : new TagMove(image, local.FirstOrDefault(), remote);
                    // A move is not recorded as checked: until its pull succeeded the next pass asks again (and then
                    // finds the local image pulled as the new digest), so a failed pull is not forgotten for a day.
                    outcomes[index] = (image, move, null, move is null ? timeProvider.GetUtcNow() : null);
                }
                catch (Exception exception) when (exception is RegistryCheckException or RegistryCredentialException)
                {
                    outcomes[index] = (image, null, exception.Message, null);
                }
            }).ConfigureAwait(false);

        return new TagCheckResult(
            outcomes.Where(outcome => outcome.Move is not null).ToImmutableSortedDictionary(outcome => outcome.Image, outcome => outcome.Move!, StringComparer.Ordinal),
            outcomes.Where(outcome => outcome.Problem is not null).ToImmutableSortedDictionary(outcome => outcome.Image, outcome => outcome.Problem!, StringComparer.Ordinal),
            outcomes.Where(outcome => outcome.At is not null).ToImmutableSortedDictionary(outcome => outcome.Image, outcome => outcome.At!.Value, StringComparer.Ordinal));
    }
}
