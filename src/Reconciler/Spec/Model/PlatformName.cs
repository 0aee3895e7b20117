using System.Text.RegularExpressions;

namespace Berth.Reconciler.Spec.Model;

/// <summary>
/// An image platform, `os/arch[/variant]`, normalised as containerd does (platforms.Normalize) so that
/// `linux/x86_64` and `linux/amd64` are one platform: the spec's value is hashed in this form, and an
/// image's platform (image inspect: Os, Architecture, Variant) is compared in it.
/// </summary>
public static partial class PlatformName
{
    /// <returns>The normalised name, or null when <paramref name="value"/> is not `os/arch[/variant]`.</returns>
    public static string? Normalize(string value)
    {
        var match = Syntax().Match(value.Trim().ToLowerInvariant());
        return match.Success ? Of(match.Groups["os"].Value, match.Groups["arch"].Value, match.Groups["variant"].Value) : null;
    }

    /// <summary>The normalised name of an image's Os, Architecture and Variant.</summary>
    public static string Of(string os, string architecture, string? variant)
    {
        os = os.ToLowerInvariant();
        var (arch, normalisedVariant) = (architecture.ToLowerInvariant(), (variant ?? "").ToLowerInvariant()) switch
        {
            ("x86_64" or "x86-64" or "amd64", "" or "v1") => ("amd64", ""),
            ("aarch64" or "arm64", "" or "v8" or "8") => ("arm64", ""),
            ("aarch64", var other) => ("arm64", other),
            ("armhf", "") => ("arm", "v7"),
            ("armel", "") => ("arm", "v6"),
            ("arm", "" or "7" or "v7") => ("arm", "v7"),
            ("arm", "6") => ("arm", "v6"),
            ("arm", "5") => ("arm", "v5"),
            ("i386" or "386", var other) => ("386", other),
            (var other, var otherVariant) => (other, otherVariant),
        };
        return normalisedVariant.Length == 0 ? $"{os}/{arch}" : $"{os}/{arch}/{normalisedVariant}";
    }

    /// <summary>
    /// Whether an image of platform <paramref name="image"/> runs as <paramref name="wanted"/>: the same os
    /// and architecture, and the same variant unless the image names none (the engine then matches too).
    /// </summary>
    public static bool Matches(string wanted, string image)
    {
        if (wanted == image)
        {
            return true;
        }

        var wantedParts = wanted.Split('/');
        var imageParts = image.Split('/');
        return imageParts.Length == 2 && wantedParts.Length == 3 && wantedParts[0] == imageParts[0] && wantedParts[1] == imageParts[1];
    }

    [GeneratedRegex("^(?<os>[a-z0-9_-]+)/(?<arch>[a-z0-9_-]+)(/(?<variant>[a-z0-9_-]+))?$")]
    private static partial Regex Syntax();
}
