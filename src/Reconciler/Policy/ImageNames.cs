namespace Berth.Reconciler.Policy;

/// <summary>
/// Image references reduced to `registry/repository` as the engine resolves them, so that a policy
/// entry matches however a Compose file spells the image: `nginx`, `library/nginx:1.27` and
/// `docker.io/library/nginx@sha256:...` are all docker.io/library/nginx.
/// </summary>
internal static class ImageNames
{
    public const string DockerHub = "docker.io";

    /// <summary>`registry/repository` without tag or digest (<see cref="Images.RegistryReference.QualifiedRepository"/>).</summary>
    public static string Repository(string image) => Images.RegistryReference.Parse(image).QualifiedRepository;

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
            var prefix = QualifyPrefix(trimmed) + "/";
            return repository => repository.StartsWith(prefix, StringComparison.Ordinal);
        }

        var exact = Repository(entry);
        return repository => repository == exact;
    }

    /// <summary>A repository prefix ("team", "ghcr.io/team") qualified with its registry; never with library/: a prefix names a namespace.</summary>
    private static string QualifyPrefix(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && LooksLikeRegistry(name[..slash])
            ? $"{CanonicalRegistry(name[..slash])}/{name[(slash + 1)..]}"
            : $"{DockerHub}/{name}";
    }

    private static bool LooksLikeRegistry(string component) => Images.RegistryReference.IsRegistryHost(component);

    private static string CanonicalRegistry(string registry)
    {
        var lower = registry.ToLowerInvariant();
        return lower is "index.docker.io" or "registry-1.docker.io" ? DockerHub : lower;
    }
}
