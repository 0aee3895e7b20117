namespace Berth.Reconciler.Images;

/// <summary>
/// An image reference split the way the Docker CLI and engine normalise it: <c>nginx</c> is
/// <c>docker.io/library/nginx:latest</c>; the first path component is a registry only when it has a
/// '.' or a ':' or is <c>localhost</c>.
/// </summary>
/// <param name="Registry">The registry as written in references and config.json keys ("docker.io", "127.0.0.1:5000").</param>
/// <param name="Repository">The repository inside the registry ("library/nginx", "team/web").</param>
/// <param name="Tag">The tag; "latest" when none was written. Null for a digest-only reference.</param>
/// <param name="Digest">The pinned digest ("sha256:..."), or null.</param>
/// <param name="Name">The reference without tag and digest, as written ("nginx", "127.0.0.1:5000/team/web"): what RepoDigests entries start with.</param>
public sealed record RegistryReference(string Registry, string Repository, string? Tag, string? Digest, string Name)
{
    public const string DockerHub = "docker.io";

    /// <summary>Pinned to a digest: content-addressed, a registry cannot move it; never checked.</summary>
    public bool IsPinned => Digest is not null;

    /// <summary>The host the Registry API is served on (Docker Hub's differs from its name).</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>The key Docker's config.json and credential helpers use for this registry.</summary>
    public string CredentialKey => Registry == DockerHub ? "https://index.docker.io/v1/" : Registry;

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

        string? tag = null;
        var lastSlash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }

        tag ??= digest is null ? "latest" : null;
        var firstSlash = name.IndexOf('/', StringComparison.Ordinal);
        string registry;
        string repository;
        if (firstSlash > 0 && (name[..firstSlash].Contains('.', StringComparison.Ordinal) || name[..firstSlash].Contains(':', StringComparison.Ordinal) || name[..firstSlash] == "localhost"))
        {
            registry = name[..firstSlash];
            repository = name[(firstSlash + 1)..];
        }
        else
        {
            registry = DockerHub;
            repository = firstSlash < 0 ? "library/" + name : name;
        }

        // "index.docker.io" is another name of Docker Hub in references.
        if (registry == "index.docker.io")
        {
            registry = DockerHub;
        }

        return new RegistryReference(registry, repository, tag, digest, name);
    }

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
