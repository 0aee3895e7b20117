namespace Berth.Reconciler.Images;

/// <summary>
/// An image reference split the way the Docker CLI and engine normalise it: <c>nginx</c> is
/// <c>docker.io/library/nginx:latest</c>; the first path component is a registry only when it has a
/// '.' or a ':' or is <c>localhost</c>. berth's one parser of the reference grammar: <see cref="ImageReference"/>
/// (the engine's image list), the host policy's image names and the engine's pulls all split references here.
/// </summary>
/// <param name="Registry">The registry as written in references and config.json keys ("docker.io", "127.0.0.1:5000"); Docker Hub's other names are "docker.io".</param>
/// <param name="Repository">The repository inside the registry ("library/nginx", "team/web").</param>
/// <param name="Tag">The tag; "latest" when none was written. Null for a digest-only reference.</param>
/// <param name="Digest">The pinned digest ("sha256:..."), or null.</param>
/// <param name="Name">The reference without tag and digest, as written ("nginx", "127.0.0.1:5000/team/web"): what RepoDigests entries start with.</param>
public sealed record RegistryReference(string Registry, string Repository, string? Tag, string? Digest, string Name)
{
    public const string DockerHub = "docker.io";

    /// <summary>The tag as written; null when none was (then <see cref="Tag"/> says latest, or null with a digest).</summary>
    public string? WrittenTag { get; init; }

    /// <summary>Pinned to a digest: content-addressed, a registry cannot move it; never checked.</summary>
    public bool IsPinned => Digest is not null;

    /// <summary>The host the Registry API is served on (Docker Hub's differs from its name).</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>The key Docker's config.json and credential helpers use for this registry.</summary>
    public string CredentialKey => Registry == DockerHub ? "https://index.docker.io/v1/" : Registry;

    /// <summary>
    /// "registry/repository" with the registry in lower case ("docker.io/library/nginx", "127.0.0.1:5000/team/web"):
    /// one spelling per repository, however a Compose file or the engine's image list writes it.
    /// </summary>
    public string QualifiedRepository => $"{Registry.ToLowerInvariant()}/{Repository}";

    public static RegistryReference Parse(string reference)
    {
        var name = reference;
        string? digest = null;
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = name[(at + 1)..];
            name = name[..at];
        }

        // A ':' after the last '/' starts the tag; one before it is a registry's port.
        string? writtenTag = null;
        var lastSlash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > lastSlash)
        {
            writtenTag = name[(colon + 1)..];
            name = name[..colon];
        }

        var firstSlash = name.IndexOf('/', StringComparison.Ordinal);
        string registry;
        string repository;
        if (firstSlash > 0 && IsRegistryHost(name[..firstSlash]))
        {
            registry = name[..firstSlash];
            repository = name[(firstSlash + 1)..];
            // Docker Hub's other names in references.
            if (registry.ToLowerInvariant() is DockerHub or "index.docker.io" or "registry-1.docker.io")
            {
                registry = DockerHub;
            }
        }
        else
        {
            registry = DockerHub;
            repository = name;
        }

        // Docker Hub's official images live under library/: "nginx" and "docker.io/nginx" are both docker.io/library/nginx.
        if (registry == DockerHub && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }

        return new RegistryReference(registry, repository, writtenTag ?? (digest is null ? "latest" : null), digest, name) { WrittenTag = writtenTag };
    }

    /// <summary>The engine's rule: a reference's first component names a registry when it has a '.' or a ':' or is localhost.</summary>
    internal static bool IsRegistryHost(string component) =>
        component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal) || component == "localhost";

    /// <summary>Whether a RepoDigests entry's name ("nginx", "docker.io/library/nginx") is this reference's repository.</summary>
    public bool SameRepository(string otherName)
    {
        var other = Parse(otherName);
        return other.Registry == Registry && other.Repository == Repository;
    }

    /// <summary>"sha256:0123456789ab…": enough to tell digests apart in a plan line.</summary>
    public static string ShortDigest(string digest)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        var hex = colon >= 0 ? digest[(colon + 1)..] : digest;
        return hex.Length <= 12 ? digest : $"{digest[..(colon + 1)]}{hex[..12]}…";
    }
}
