namespace Berth.Reconciler.Forge;

/// <summary>The forges berth can report to.</summary>
public enum ForgeKind
{
    GitHub,
    GitLab,
    Gitea,
}

/// <summary>Where a repository's commit statuses live: the forge, its API root and the repository's path on it.</summary>
/// <param name="Repository">GitHub and Gitea: "owner/repo"; GitLab: the project's full path ("group/subgroup/project") or its number.</param>
public sealed record ForgeRepository(ForgeKind Kind, Uri ApiBase, string Repository)
{
    /// <summary>
    /// The forge and repository a clone URL points at (https://, ssh://, scp-like git@host:path), with
    /// the API root each forge serves by default: api.github.com for github.com, https://HOST/api/v3
    /// for GitHub Enterprise Server, https://HOST/api/v4 for GitLab, https://HOST/api/v1 for Gitea and
    /// Forgejo. An ssh URL's API is assumed on https at the same host. <paramref name="kind"/> null: only
    /// github.com and gitlab.com are recognised by their name. Returns null (and why) when the URL does
    /// not tell.
    /// </summary>
    public static ForgeRepository? FromCloneUrl(string cloneUrl, ForgeKind? kind, out string? problem)
    {
        problem = null;
        if (!TrySplit(cloneUrl, out var scheme, out var host, out var path))
        {
            problem = $"cannot tell the forge's host and repository from the source URL (set forge.apiUrl and forge.repository)";
            return null;
        }

        var forge = kind ?? host.ToLowerInvariant() switch
        {
            "github.com" => ForgeKind.GitHub,
            "gitlab.com" => ForgeKind.GitLab,
            _ => (ForgeKind?)null,
        };
        if (forge is null)
        {
            problem = $"cannot tell which forge {host} is (set forge.provider: github, gitlab or gitea)";
            return null;
        }

        if (forge != ForgeKind.GitLab && path.Count(c => c == '/') != 1)
        {
            problem = $"'{path}' is not owner/repository (set forge.repository)";
            return null;
        }

        // An http:// clone URL is a forge on plain HTTP (a test or a LAN); ssh and git transports get https.
        var web = scheme == "http" ? "http" : "https";
        var apiBase = forge switch
        {
            ForgeKind.GitHub when host.Equals("github.com", StringComparison.OrdinalIgnoreCase) => new Uri("https://api.github.com/"),
            ForgeKind.GitHub => new Uri($"{web}://{host}/api/v3/"),
            ForgeKind.GitLab => new Uri($"{web}://{host}/api/v4/"),
            _ => new Uri($"{web}://{host}/api/v1/"),
        };
        return new ForgeRepository(forge.Value, apiBase, path);
    }

    /// <summary>The API root a forge of <paramref name="kind"/> serves on <paramref name="webUrl"/>'s host (for an explicit forge.url).</summary>
    public static Uri DefaultApiBase(ForgeKind kind, Uri webUrl)
    {
        var root = webUrl.GetLeftPart(UriPartial.Authority);
        return kind switch
        {
            ForgeKind.GitHub when webUrl.Host.Equals("github.com", StringComparison.OrdinalIgnoreCase) => new Uri("https://api.github.com/"),
            ForgeKind.GitHub => new Uri(root + "/api/v3/"),
            ForgeKind.GitLab => new Uri(root + "/api/v4/"),
            _ => new Uri(root + "/api/v1/"),
        };
    }

    /// <summary>scheme, host (with port) and the repository path without ".git" and slashes around it.</summary>
    private static bool TrySplit(string url, out string scheme, out string host, out string path)
    {
        scheme = host = path = "";
        if (url.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is "file" || string.IsNullOrEmpty(uri.Host))
            {
                return false;
            }

            scheme = uri.Scheme;
            // An ssh port is not the API's port; an http(s) port is.
            host = uri.Scheme is "http" or "https" && !uri.IsDefaultPort ? $"{uri.Host}:{uri.Port}" : uri.Host;
            path = Uri.UnescapeDataString(uri.AbsolutePath);
        }
        else
        {
            // scp-like: [user@]host:path
            var colon = url.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || url.StartsWith('/'))
            {
                return false;
            }

            scheme = "ssh";
            var at = url.LastIndexOf('@', colon);
            host = url[(at + 1)..colon];
            path = url[(colon + 1)..];
        }

        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }

        return host.Length > 0 && path.Length > 0;
    }

    /// <summary>The provider for this repository.</summary>
    public ICommitStatusProvider CreateProvider(HttpClient http, Func<string> readToken) => Kind switch
    {
        ForgeKind.GitHub => new GitHubStatusProvider(http, ApiBase, Repository, readToken),
        ForgeKind.GitLab => new GitLabStatusProvider(http, ApiBase, Repository, readToken),
        _ => new GiteaStatusProvider(http, ApiBase, Repository, readToken),
    };
}
