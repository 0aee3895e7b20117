using System.Collections.Immutable;

namespace Berth.Reconciler.Images;

/// <summary>
/// An image reference as the engine reads it: `name`, `name:tag`, `name@sha256:...` or
/// `name:tag@sha256:...`, with the repository normalised (`nginx` is docker.io/library/nginx) so that
/// it compares with the engine's image list however the Compose file spells it. A digest wins over a
/// tag, as in the engine (`name:tag@digest` is `name@digest`; the tag is only a note for the reader).
/// </summary>
/// <param name="Repository">Fully qualified: `registry/path` (docker.io/library/nginx, 127.0.0.1:5000/app).</param>
/// <param name="Tag">The tag as written; null when none was (then <see cref="EffectiveTag"/> is latest).</param>
/// <param name="Digest">`sha256:...` when the reference is pinned by digest, else null.</param>
public sealed record ImageReference(string Repository, string? Tag, string? Digest)
{
    public const string LatestTag = "latest";

    /// <summary>What the engine pulls and runs when no digest is given: the tag, or latest when none is written.</summary>
    public string EffectiveTag => Tag ?? LatestTag;

    public bool IsPinnedByDigest => Digest is not null;

    /// <summary>Parses a reference (<see cref="RegistryReference.Parse"/>); an image id (`sha256:...`) has no repository and yields null.</summary>
    public static ImageReference? Parse(string reference)
    {
        var text = reference.Trim();
        if (text.Length == 0 || text.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return null;
        }

        var parsed = RegistryReference.Parse(text);
        return new ImageReference(parsed.QualifiedRepository, parsed.WrittenTag, parsed.Digest);
    }

    /// <summary>
    /// The local image this reference resolves to, as the engine would resolve it: by digest among the
    /// images' RepoDigests when pinned, else by `repository:tag` among their RepoTags. Null: not present.
    /// </summary>
    public static string? Resolve(string reference, IEnumerable<ObservedImage> images)
    {
        if (reference.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return images.FirstOrDefault(image => image.Id == reference)?.Id;
        }

        if (Parse(reference) is not { } wanted)
        {
            return null;
        }

        foreach (var image in images)
        {
            var names = wanted.Digest is not null ? image.RepoDigests : image.RepoTags;
            foreach (var name in names)
            {
                if (Parse(name) is { } listed
                    && listed.Repository == wanted.Repository
                    && (wanted.Digest is not null
                        ? string.Equals(listed.Digest, wanted.Digest, StringComparison.OrdinalIgnoreCase)
                        : listed.Digest is null && listed.EffectiveTag == wanted.EffectiveTag))
                {
                    return image.Id;
                }
            }
        }

        return null;
    }

    /// <summary>"sha256:0123456789abcdef..." -> "0123456789ab", as `docker images` shows ids.</summary>
    public static string ShortId(string imageId)
    {
        var hex = imageId.StartsWith("sha256:", StringComparison.Ordinal) ? imageId["sha256:".Length..] : imageId;
        return hex.Length > 12 ? hex[..12] : hex;
    }
}

/// <summary>One local image, from the engine's image list (`GET /images/json`): what every reference resolves against.</summary>
/// <param name="RepoTags">`name:tag` as the engine lists them (familiar names: `nginx:1.27`).</param>
/// <param name="RepoDigests">`name@sha256:...`: set when the image came from a registry (pulled or pushed); empty for a local build or import.</param>
public sealed record ObservedImage(string Id, ImmutableArray<string> RepoTags, ImmutableArray<string> RepoDigests);
