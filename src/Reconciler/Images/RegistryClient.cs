using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Berth.Reconciler.Images;

/// <summary>The registry could not say what a tag points at: unreachable, refused, or no such manifest.</summary>
/// <param name="unreachable">The registry did not answer (connection, TLS, timeout, 5xx): keep what runs, ask again later.</param>
public sealed class RegistryCheckException(string message, bool unreachable, Exception? inner = null) : Exception(message, inner)
{
    public bool Unreachable { get; } = unreachable;
}

/// <summary>How berth reaches registries for its own requests (the manifest HEAD); the engine's pulls use the engine's settings.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Per registry ("host:port"), a PEM CA file that signed its certificate. Default: none.</summary>
    public IReadOnlyDictionary<string, string> CaFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The engine's per-registry certificate directory: a <c>ca.crt</c> found in &lt;dir&gt;/&lt;host:port&gt;/ is
    /// trusted too, so one file serves the engine's pull and berth's check. Default /etc/docker/certs.d.
    /// </summary>
    public string EngineCertificatesDirectory { get; init; } = "/etc/docker/certs.d";

    /// <summary>The limit for one manifest HEAD including its token request. Default 15 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Host name -> address, consulted before DNS (an /etc/hosts of this client's own). Lets a test reach a
    /// loopback server under a name that is not loopback, to see what berth does with a non-loopback registry.
    /// Default: none (DNS as usual).
    /// </summary>
    internal IReadOnlyDictionary<string, IPAddress> StaticHosts { get; init; } = new Dictionary<string, IPAddress>();
}

/// <summary>
/// The one request berth makes to registries itself: a manifest HEAD (Docker Registry HTTP API v2), which
/// answers with the tag's current digest in <c>Docker-Content-Digest</c> without downloading anything (Docker
/// Hub does not count a HEAD against its pull limit). Auth as the engine does it: anonymous first; on 401,
/// Basic with the credential, or a Bearer token from the realm the <c>WWW-Authenticate</c> challenge names.
/// Loopback registries may be plain HTTP (the engine treats 127.0.0.0/8 as insecure too): HTTPS is tried
/// first and HTTP only when the server does not speak TLS. Any other registry is asked over HTTPS only: a
/// TLS failure there is an error, never a silent downgrade that would send credentials in clear text. For
/// the same reason credentials go to a token service (realm) over plain HTTP only when it is on loopback.
/// </summary>
public sealed class RegistryClient(IRegistryCredentials credentials, RegistryClientOptions options)
{
    /// <summary>Docker and OCI manifests and indexes: without them a registry may answer with a schema-1 manifest and its digest.</summary>
    private static readonly string[] ManifestTypes =
    [
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ];

    /// <summary>The digest the registry serves for the reference's tag now.</summary>
    /// <exception cref="RegistryCheckException">With the registry's reason.</exception>
    public async Task<string> ManifestDigestAsync(RegistryReference reference, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        using var http = CreateHttpClient(reference.ApiHost);
        var what = $"{reference.Name}:{reference.Tag}";
        try
        {
            var scheme = "https";
            HttpResponseMessage response;
            try
            {
                response = await HeadAsync(http, scheme, reference, null, timeout.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException exception) when (IsLoopback(reference.ApiHost) && exception.InnerException is AuthenticationException or IOException)
            {
                // Only on loopback, as the engine: elsewhere a TLS failure could be someone in the path, and the
                // request after the 401 would carry the credentials in clear text.
                scheme = "http";
                response = await HeadAsync(http, scheme, reference, null, timeout.Token).ConfigureAwait(false);
            }

            using (response)
            {
                var answer = response;
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    var authorization = await AuthorizeAsync(http, reference, response, timeout.Token).ConfigureAwait(false);
                    answer = await HeadAsync(http, scheme, reference, authorization, timeout.Token).ConfigureAwait(false);
                }

                using (answer == response ? null : answer)
                {
                    return DigestFrom(answer, reference, what);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryCheckException($"registry {reference.Registry} did not answer within {options.Timeout.TotalSeconds:0} s", unreachable: true);
        }
        catch (HttpRequestException exception)
        {
            throw new RegistryCheckException($"registry {reference.Registry} is unreachable: {Reason(exception)}", unreachable: true, exception);
        }
    }

    private static string DigestFrom(HttpResponseMessage response, RegistryReference reference, string what)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK when response.Headers.TryGetValues("Docker-Content-Digest", out var digests) && digests.FirstOrDefault() is { Length: > 0 } digest:
                return digest;
            case HttpStatusCode.OK:
                throw new RegistryCheckException($"registry {reference.Registry} answered for {what} without a Docker-Content-Digest header", unreachable: false);
            case HttpStatusCode.NotFound:
                throw new RegistryCheckException($"{what} not found in registry {reference.Registry} (manifest unknown)", unreachable: false);
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                throw new RegistryCheckException($"registry {reference.Registry} refused the credentials for {what} ({(int)response.StatusCode} {response.ReasonPhrase}): check the host's registry configuration", unreachable: false);
            case >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests:
                throw new RegistryCheckException($"registry {reference.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}", unreachable: true);
            default:
                throw new RegistryCheckException($"registry {reference.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}", unreachable: false);
        }
    }

    private static async Task<HttpResponseMessage> HeadAsync(HttpClient http, string scheme, RegistryReference reference, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"{scheme}://{reference.ApiHost}/v2/{reference.Repository}/manifests/{reference.Tag}");
        foreach (var type in ManifestTypes)
        {
            request.Headers.Accept.ParseAdd(type);
        }

        request.Headers.Authorization = authorization;
        return await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The Authorization header the 401's challenge asks for: Basic with the credential, or a Bearer token fetched from the realm.</summary>
    private async Task<AuthenticationHeaderValue> AuthorizeAsync(HttpClient http, RegistryReference reference, HttpResponseMessage unauthorized, CancellationToken cancellationToken)
    {
        var credential = await credentials.ForAsync(reference, cancellationToken).ConfigureAwait(false);
        var challenge = unauthorized.Headers.WwwAuthenticate.FirstOrDefault();
        if (challenge is null || challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (credential is not { Username: { } username, Password: { } password })
            {
                throw new RegistryCheckException($"registry {reference.Registry} requires credentials and the host has none for it (docs/images.md, Credentials)", unreachable: false);
            }

            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        }

        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw new RegistryCheckException($"registry {reference.Registry} asks for {challenge.Scheme} authentication, which berth does not speak", unreachable: false);
        }

        var parameters = BearerChallenge.Parse(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
        {
            throw new RegistryCheckException($"registry {reference.Registry} sent a Bearer challenge without a usable realm", unreachable: false);
        }

        var scope = parameters.GetValueOrDefault("scope") ?? $"repository:{reference.Repository}:pull";
        var query = new List<string> { "scope=" + Uri.EscapeDataString(scope) };
        if (parameters.TryGetValue("service", out var service))
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(realmUri) { Query = string.Join('&', query) }.Uri);
        if (credential is { IdentityToken: { } identityToken })
        {
            // An identity token is an OAuth2 refresh token: exchanged with a POST (the Docker token spec).
            request.Method = HttpMethod.Post;
            request.RequestUri = realmUri;
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = identityToken,
                ["service"] = service ?? reference.ApiHost,
                ["scope"] = scope,
                ["client_id"] = "berth",
            });
        }
        else if (credential is { Username: { } username, Password: { } password })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        }

        // The realm is the registry's word: credentials go to it in clear text only on loopback (as to the registry itself).
        var tokenService = $"the token service {realmUri.Authority} of registry {reference.Registry}";
        if (credential is not null && realmUri.Scheme != Uri.UriSchemeHttps && !IsLoopback(realmUri.Authority))
        {
            throw new RegistryCheckException($"{tokenService} is not HTTPS ({realmUri.Scheme}): berth sends credentials in clear text only to loopback", unreachable: false);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new RegistryCheckException($"{tokenService} is unreachable: {Reason(exception)}", unreachable: true, exception);
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                var which = credential is null ? "refused anonymous access" : "refused the credentials";
                throw new RegistryCheckException($"{tokenService} {which} ({(int)response.StatusCode} {response.ReasonPhrase}): check the host's registry configuration", unreachable: false);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new RegistryCheckException($"{tokenService} answered {(int)response.StatusCode} {response.ReasonPhrase}", unreachable: (int)response.StatusCode >= 500);
            }

            return new AuthenticationHeaderValue("Bearer", await TokenFromAsync(response, tokenService, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>The token of a token service's answer: <c>token</c>, or OAuth2's <c>access_token</c> (the Docker token spec allows both).</summary>
    private static async Task<string> TokenFromAsync(HttpResponseMessage response, string tokenService, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? token;
        try
        {
            using var document = JsonDocument.Parse(body);
            token = document.RootElement.ValueKind != JsonValueKind.Object ? null
                : document.RootElement.TryGetProperty("token", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()
                : document.RootElement.TryGetProperty("access_token", out var access) && access.ValueKind == JsonValueKind.String ? access.GetString() : null;
        }
        catch (JsonException)
        {
            // Not the body in the message: it may be a page that echoes what was sent.
            throw new RegistryCheckException($"{tokenService} answered something that is not a token (not JSON)", unreachable: false);
        }

        return string.IsNullOrEmpty(token)
            ? throw new RegistryCheckException($"{tokenService} answered without a token", unreachable: false)
            : token;
    }

    private HttpClient CreateHttpClient(string registryHost)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = options.Timeout, AllowAutoRedirect = true };
        if (options.StaticHosts.Count > 0)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    EndPoint target = options.StaticHosts.TryGetValue(context.DnsEndPoint.Host, out var address)
                        ? new IPEndPoint(address, context.DnsEndPoint.Port)
                        : context.DnsEndPoint;
                    await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        var caFile = options.CaFiles.TryGetValue(registryHost, out var configured) ? configured : Path.Combine(options.EngineCertificatesDirectory, registryHost, "ca.crt");
        if (File.Exists(caFile))
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                // The registry's own CA, in addition to the system's: chain to it or to a system root.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (errors == SslPolicyErrors.None)
                    {
                        return true;
                    }

                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            };
        }

        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static bool IsLoopback(string host)
    {
        var name = host;
        var colon = name.LastIndexOf(':');
        if (colon > 0 && !name.EndsWith(']'))
        {
            name = name[..colon];
        }

        name = name.Trim('[', ']');
        return name == "localhost" || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }

    private static string Reason(HttpRequestException exception) => exception.InnerException switch
    {
        SocketException socket => socket.Message,
        AuthenticationException tls => $"TLS: {tls.Message}",
        { } inner => inner.Message,
        null => exception.Message,
    };
}

/// <summary>The parameters of a Bearer challenge: <c>realm="https://auth",service="registry",scope="repository:x:pull"</c>.</summary>
internal static class BearerChallenge
{
    public static Dictionary<string, string> Parse(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        while (index < parameter.Length)
        {
            while (index < parameter.Length && parameter[index] is ',' or ' ')
            {
                index++;
            }

            var equals = parameter.IndexOf('=', index);
            if (equals < 0)
            {
                break;
            }

            var key = parameter[index..equals].Trim();
            index = equals + 1;
            string value;
            if (index < parameter.Length && parameter[index] == '"')
            {
                var end = parameter.IndexOf('"', index + 1);
                end = end < 0 ? parameter.Length : end;
                value = parameter[(index + 1)..end];
                index = end + 1;
            }
            else
            {
                var end = parameter.IndexOf(',', index);
                end = end < 0 ? parameter.Length : end;
                value = parameter[index..end].Trim();
                index = end;
            }

            result[key] = value;
        }

        return result;
    }
}
