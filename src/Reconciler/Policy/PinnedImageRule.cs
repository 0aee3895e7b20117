using System.Text.RegularExpressions;
using Berth.Reconciler.Images;
using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Policy;

/// <summary>How firmly every `image:` must name what runs (policy key `pinnedImages`).</summary>
public enum ImagePinning
{
    /// <summary>Any reference, `latest` or no tag included. The default.</summary>
    None,

    /// <summary>An explicit tag that is not `latest` (no tag means latest), or a digest.</summary>
    Tag,

    /// <summary>A digest: `name@sha256:...` or `name:tag@sha256:...`.</summary>
    Digest,
}

/// <summary>A pinning rule and who set it: the host's policy, or the repository's berth.yaml (with where).</summary>
/// <param name="At">Where berth.yaml sets it; null for the host's policy (it is not part of the commit).</param>
internal sealed record PinningSource(ImagePinning Pinning, Location? At)
{
    public string Describe() => At is { } at
        ? $"refused by the repository's policy ({at.File}:{at.Line}:{at.Column}: policy.pinnedImages: {Name(Pinning)})"
        : $"refused by this host's policy (policy.pinnedImages: {Name(Pinning)})";

    public static string Name(ImagePinning pinning) => pinning.ToString().ToLowerInvariant();
}

/// <summary>
/// The first production rule: every image pinned, so that what runs is what the commit names and not
/// whatever a registry's `latest` points to today. Judged like the rest of the host policy, on the
/// services the host runs, reported at the `image:` value; the stricter of the host's and the
/// repository's rule applies (a repository can tighten a host, never loosen it).
/// </summary>
internal static partial class PinnedImageRule
{
    public static void Report(IEnumerable<BuiltStack> stacks, PinningSource? host, PinningSource? repository, NodeReader reader)
    {
        var rule = Stricter(host, repository);
        if (rule is null || rule.Pinning == ImagePinning.None)
        {
            return;
        }

        foreach (var stack in stacks)
        {
            foreach (var service in stack.Spec.Services)
            {
                var at = stack.PolicyPlaces.TryGetValue(service.Name, out var places)
                    ? places.Image ?? places.Key
                    : stack.ServiceLocations.GetValueOrDefault(service.Name, Location.StartOf(stack.Spec.SourceFiles[0]));
                if (Violation(service.Container.Image, rule.Pinning) is { } why)
                {
                    reader.Error(at, $"services.{service.Name}.image: {why}; {rule.Describe()}");
                }
            }
        }
    }

    /// <summary>Why <paramref name="image"/> is not pinned as <paramref name="pinning"/> asks, or null when it is.</summary>
    public static string? Violation(string image, ImagePinning pinning)
    {
        if (pinning == ImagePinning.None)
        {
            return null;
        }

        var reference = ImageReference.Parse(image);
        if (reference?.Digest is { } digest)
        {
            return DigestPattern().IsMatch(digest) ? null : $"'{image}' has a malformed digest (expected @sha256: and 64 hexadecimal digits)";
        }

        if (pinning == ImagePinning.Digest)
        {
            return $"'{image}' is not pinned by digest (name@sha256:... or name:tag@sha256:...)";
        }

        return reference?.Tag switch
        {
            null => $"'{image}' has no tag, which means latest, a tag that moves (name a version, e.g. {image}:1.27, or a digest)",
            ImageReference.LatestTag => $"'{image}' names latest, a tag that moves (name a version or a digest)",
            _ => null,
        };
    }

    private static PinningSource? Stricter(PinningSource? host, PinningSource? repository) =>
        host is null ? repository
        : repository is null ? host
        : repository.Pinning > host.Pinning ? repository : host;

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex DigestPattern();
}
