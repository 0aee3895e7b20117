using System.Text.RegularExpressions;

namespace Berth.Reconciler.Git;

/// <summary>The transport a source URL selects; it decides which credentials apply.</summary>
public enum GitTransport
{
    /// <summary>A path on this host, or a <c>file://</c> URL.</summary>
    Local,

    /// <summary><c>git://</c>: unauthenticated, read-only; fine on a trusted network or with signed commits.</summary>
    GitProtocol,

    /// <summary><c>http://</c> or <c>https://</c>, optionally with a token or user/password.</summary>
    Http,

    /// <summary><c>ssh://</c> or scp-like <c>user@host:path</c>, with a deploy key and a known_hosts file.</summary>
    Ssh,
}

/// <summary>
/// Classifies a source URL and removes credentials from it for messages. Pure string work: no I/O.
/// </summary>
internal static partial class GitRemoteUrl
{
    // scp-like syntax as git defines it: [user@]host:path, where the host part has no slash
    // before the colon (otherwise it is a local path such as ./a:b).
    [GeneratedRegex(@"^(?:[^@/\s]+@)?[^@/:\s]+:(?!//)[^\s]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLikePattern();

    // Anything that looks like scheme://user-info@ in free text (git's stderr, exception messages).
    // The user-info may be user:password, or a bare token (https://ghp_TOKEN@github.com/...).
    [GeneratedRegex(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?<user>[^/@\s:]*)(?::(?<password>[^/@\s]*))?@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPattern();

    public static bool TryGetTransport(string url, out GitTransport transport)
    {
        transport = GitTransport.Local;
        if (string.IsNullOrWhiteSpace(url))
        {
            return false;
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            var scheme = url[..schemeEnd].ToLowerInvariant();
            switch (scheme)
            {
                case "file":
                    transport = GitTransport.Local;
                    return true;
                case "git":
                    transport = GitTransport.GitProtocol;
                    return true;
                case "http":
                case "https":
                    transport = GitTransport.Http;
                    return true;
                case "ssh":
                case "git+ssh":
                case "ssh+git":
                    transport = GitTransport.Ssh;
                    return true;
                default:
                    // ext::, fd:: and unknown remote helpers are refused: they run arbitrary commands.
                    return false;
            }
        }

        if (url.Contains("::", StringComparison.Ordinal))
        {
            return false; // remote-helper syntax (e.g. ext::sh -c ...)
        }

        if (Path.IsPathRooted(url) || url.StartsWith("./", StringComparison.Ordinal) || url.StartsWith("../", StringComparison.Ordinal))
        {
            transport = GitTransport.Local;
            return true;
        }

        if (ScpLikePattern().IsMatch(url))
        {
            transport = GitTransport.Ssh;
            return true;
        }

        transport = GitTransport.Local;
        return true;
    }

    /// <summary>
    /// True when the URL carries a secret in its user-info part: any user-info at all in an http(s)
    /// URL (a bare <c>https://TOKEN@host</c> is how GitHub and GitLab tokens are usually pasted), a
    /// password for every other scheme. A user name alone is normal for ssh (<c>ssh://git@host/...</c>).
    /// </summary>
    public static bool ContainsCredentials(string url)
    {
        var match = UserInfoPattern().Match(url);
        return match.Success && match.Index == 0 && (match.Groups["password"].Success || !IsSshScheme(match.Groups["scheme"].Value));
    }

    /// <summary>
    /// Replaces every <c>scheme://user-info@</c> in <paramref name="text"/> with <c>scheme://***@</c>:
    /// the whole user-info goes, since a token may stand where the user name is. Only an ssh user name
    /// without a password is kept (<c>ssh://git@host</c>): it is never a secret and helps reading errors.
    /// </summary>
    public static string ScrubUserInfo(string text) =>
        UserInfoPattern().Replace(text, match =>
            !match.Groups["password"].Success && IsSshScheme(match.Groups["scheme"].Value)
                ? match.Value
                : $"{match.Groups["scheme"].Value}***@");

    private static bool IsSshScheme(string schemeWithSeparator) =>
        schemeWithSeparator.ToLowerInvariant() is "ssh://" or "git+ssh://" or "ssh+git://";
}
