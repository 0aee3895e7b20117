namespace Berth.Reconciler.Policy;

/// <summary>
/// Image references reduced to `registry/repository` as the engine resolves them, so that a policy
/// entry matches however a Compose file spells the image: `nginx`, `library/nginx:1.27` and
/// `docker.io/library/nginx@sha256:...` are all docker.io/library/nginx.
/// </summary>
internal static class ImageNames
{
    public const string DockerHub = "docker.io";

    /// <summary>`registry/repository` without tag or digest.</summary>
    public static string Repository(string image)
    {
        var name = image;
        if (name.IndexOf('@', StringComparison.Ordinal) is var at and >= 0)
        {
            name = name[..at];
        }

        var lastSlash = name.LastIndexOf('/');
        if (name.LastIndexOf(':') is var colon and >= 0 && colon > lastSlash)
        {
            name = name[..colon];
        }

        return Qualify(name, addLibrary: true);
    }

    /// <summary>
    /// A policy entry as a matcher: a registry host ("registry.example.com", "localhost:5000") allows
    /// every repository on it; an entry ending in '/' allows the repositories below it; anything else
    /// is one repository, exactly.
    /// </summary>
    public static Func<string, bool> Matcher(string entry)
    {
        var trimmed = entry.TrimEnd('/');
        if (!trimmed.Contains('/', StringComparison.Ordinal) && LooksLikeRegistry(trimmed))
        {
            var registry = CanonicalRegistry(trimmed) + "/";
            return repository => repository.StartsWith(registry, StringComparison.Ordinal);
        }

        if (entry.EndsWith('/'))
        {
            var prefix = Qualify(trimmed, addLibrary: false) + "/";
            return repository => repository.StartsWith(prefix, StringComparison.Ordinal);
        }

        var exact = Repository(entry);
        return repository => repository == exact;
    }

    private static string Qualify(string name, bool addLibrary)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && LooksLikeRegistry(name[..slash]))
        {
            var registry = CanonicalRegistry(name[..slash]);
            var path = name[(slash + 1)..];
            return registry == DockerHub && addLibrary && !path.Contains('/', StringComparison.Ordinal)
                ? $"{DockerHub}/library/{path}"
                : $"{registry}/{path}";
        }

        return slash < 0 && addLibrary ? $"{DockerHub}/library/{name}" : $"{DockerHub}/{name}";
    }

    /// <summary>The engine's rule: the first component names a registry when it has a '.' or a ':' or is localhost.</summary>
    private static bool LooksLikeRegistry(string component) =>
        component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal) || component == "localhost";

    private static string CanonicalRegistry(string registry)
    {
        var lower = registry.ToLowerInvariant();
        return lower is "index.docker.io" or "registry-1.docker.io" ? DockerHub : lower;
    }
}
