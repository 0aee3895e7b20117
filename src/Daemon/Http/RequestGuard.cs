using System.Net;

namespace Berth.Daemon.Http;

/// <summary>
/// Checks against a web browser used as a weapon, before any endpoint runs (webhooks excepted: they come
/// from servers, through proxies, with their own signatures). A page on another site can make a browser
/// send a "simple" cross-origin POST (CSRF), or point its own host name at 127.0.0.1 and then read the
/// answers as same-origin (DNS rebinding). Refusing unknown Host names stops the second; refusing requests
/// a browser marks as cross-site stops the first. The CLI sends neither an Origin nor a foreign Host.
/// </summary>
public sealed class RequestGuard(IPEndPoint listen, IReadOnlyList<string> allowedHosts)
{
    /// <summary>Null when the request may go on; else the status code and why.</summary>
    /// <param name="hostHeader">The Host header to check, or null for a path that any Host may reach.</param>
    public (int StatusCode, string Reason)? Refusal(string? hostHeader, Func<string, string?> header)
    {
        if (hostHeader is not null && !IsHostAllowed(hostHeader))
        {
            return (421, "unknown Host header: berth answers to localhost, its listen address and http.allowedHosts only\n");
        }

        if (IsCrossSiteBrowserRequest(header))
        {
            return (403, "cross-origin requests are refused\n");
        }

        return null;
    }

    /// <summary>
    /// Accepted: localhost, the listen address, any loopback address, the configured names; and any IP
    /// literal when the listener is bound to every address (rebinding needs a name the attacker's DNS answers).
    /// </summary>
    public bool IsHostAllowed(string? hostHeader)
    {
        if (string.IsNullOrEmpty(hostHeader) || HostWithoutPort(hostHeader) is not { Length: > 0 } host)
        {
            // HTTP/1.1 requires Host; only a hand-made request lacks it, and nothing is gained by guessing.
            return false;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || allowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            return false;
        }

        var wildcard = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any);
        return wildcard || IPAddress.IsLoopback(address) || address.Equals(listen.Address);
    }

    /// <summary>
    /// Browsers send Origin on every cross-origin request and on POSTs, and Sec-Fetch-Site on all requests;
    /// a same-origin request can only come from a page berth served, and berth serves none.
    /// "none" is a person typing the URL, which is fine.
    /// </summary>
    public static bool IsCrossSiteBrowserRequest(Func<string, string?> header) =>
        !string.IsNullOrEmpty(header("Origin"))
        || header("Sec-Fetch-Site") is { Length: > 0 } site && !site.Equals("none", StringComparison.OrdinalIgnoreCase);

    /// <summary>"name:port", "[::1]:port", "1.2.3.4" to the host part, without brackets.</summary>
    private static string? HostWithoutPort(string hostHeader)
    {
        if (hostHeader.StartsWith('['))
        {
            var end = hostHeader.IndexOf(']', StringComparison.Ordinal);
            return end < 0 ? null : hostHeader[1..end];
        }

        var colon = hostHeader.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? hostHeader : hostHeader[..colon];
    }
}
