using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Reconciler.Images;
using Microsoft.AspNetCore.Http;

namespace Berth.Tests.Images;

/// <summary>
/// The manifest HEAD of moving-tag checks against the Bearer-token flow real registries use (Docker Hub,
/// GHCR, Harbor): a loopback registry that answers 401 with a <c>WWW-Authenticate: Bearer realm=…</c>
/// challenge, and a loopback token service (the realm) that checks the credentials and the scope. Both are
/// real HTTP servers; the client finds the HTTP fallback on loopback by itself, as against a real registry.
/// </summary>
public sealed class RegistryClientTokenTests
{
    private const string User = "deployer";
    private const string Password = "correct-horse-battery";
    private const string Service = "berth-test-registry";
    private const string Scope = "repository:team/web:pull";
    private const string Digest = "sha256:3f2a1c9d0b7e5a6f4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5";
    private const string Token = "token-for-team-web";

    private static readonly RegistryCredential Credential = new(User, Password, null);

    private static RegistryClient Client(RegistryCredential? credential, IReadOnlyDictionary<string, IPAddress>? staticHosts = null) =>
        new(new FixedCredentials(credential), new RegistryClientOptions
        {
            Timeout = TimeSpan.FromSeconds(10),
            EngineCertificatesDirectory = Path.Combine(Path.GetTempPath(), "berth-no-certs-" + Guid.NewGuid().ToString("N")),
            StaticHosts = staticHosts ?? new Dictionary<string, IPAddress>(),
        });

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>The realm: a token for the scope when the Basic credentials are right (or none are required), else 401.</summary>
    private static Task<LoopbackHttpServer> StartTokenServiceAsync(bool anonymousAllowed = false, string tokenField = "token") =>
        LoopbackHttpServer.StartAsync(async context =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            var allowed = authorization == Basic(User, Password) || (anonymousAllowed && authorization.Length == 0);
            if (context.Request.Path != "/token" || context.Request.Query["scope"] != Scope || context.Request.Query["service"] != Service)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
            }
            else if (!allowed)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            }
            else
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$"""{ "{{tokenField}}": "{{Token}}", "expires_in": 300 }""");
            }
        });

    /// <summary>The registry: 401 with a Bearer challenge naming <paramref name="realm"/>, and the digest for a request with the token.</summary>
    private static Task<LoopbackHttpServer> StartRegistryAsync(string realm) =>
        LoopbackHttpServer.StartAsync(context =>
        {
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{realm}\",service=\"{Service}\",scope=\"{Scope}\"";
            }
            else if (context.Request.Method == "HEAD" && context.Request.Path == "/v2/team/web/manifests/stable")
            {
                context.Response.Headers["Docker-Content-Digest"] = Digest;
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }

            return Task.CompletedTask;
        });

    private static RegistryReference WebStable(string registryAddress) => RegistryReference.Parse($"{registryAddress}/team/web:stable");

    [Theory]
    [InlineData("token")]
    [InlineData("access_token")]
    public async Task BearerChallenge_RightCredentials_FetchesTheTokenFromTheRealmAndReturnsTheDigest(string tokenField)
    {
        await using var tokenService = await StartTokenServiceAsync(tokenField: tokenField);
        await using var registry = await StartRegistryAsync($"http://{tokenService.Address}/token");

        var digest = await Client(Credential).ManifestDigestAsync(WebStable(registry.Address), CancellationToken.None);

        Assert.Equal(Digest, digest);
        var tokenRequest = Assert.Single(tokenService.Requests);
        Assert.Equal(("GET", Basic(User, Password)), (tokenRequest.Method, tokenRequest.Authorization));
        Assert.Contains("scope=repository%3Ateam%2Fweb%3Apull", tokenRequest.PathAndQuery, StringComparison.Ordinal);
        // Anonymous first (the registry may be public), then once more with the token.
        Assert.Equal(["", "Bearer " + Token], registry.Requests.Select(request => request.Authorization));
    }

    [Fact]
    public async Task BearerChallenge_NoCredentialsOnTheHost_AsksTheRealmAnonymously()
    {
        await using var tokenService = await StartTokenServiceAsync(anonymousAllowed: true);
        await using var registry = await StartRegistryAsync($"http://{tokenService.Address}/token");

        var digest = await Client(credential: null).ManifestDigestAsync(WebStable(registry.Address), CancellationToken.None);

        Assert.Equal(Digest, digest);
        Assert.Equal("", Assert.Single(tokenService.Requests).Authorization);
    }

    [Fact]
    public async Task BearerChallenge_WrongCredentialsAtTheRealm_FailsNamingRegistryAndRealmWithoutTheSecret()
    {
        await using var tokenService = await StartTokenServiceAsync();
        await using var registry = await StartRegistryAsync($"http://{tokenService.Address}/token");

        var error = await Assert.ThrowsAsync<RegistryCheckException>(() =>
            Client(new RegistryCredential(User, "wrong-password", null)).ManifestDigestAsync(WebStable(registry.Address), CancellationToken.None));

        Assert.Equal(
            $"the token service {tokenService.Address} of registry {registry.Address} refused the credentials (401 Unauthorized): check the host's registry configuration",
            error.Message);
        Assert.False(error.Unreachable);
        Assert.DoesNotContain("wrong-password", error.ToString(), StringComparison.Ordinal);
        Assert.Single(registry.Requests);
    }

    [Fact]
    public async Task BearerChallenge_TokenServiceDown_FailsAsUnreachableNamingIt()
    {
        // A bound socket that does not listen: connections to its port are refused, and no other process can take the port.
        using var closedPort = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closedPort.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var realmAddress = $"127.0.0.1:{((IPEndPoint)closedPort.LocalEndPoint!).Port}";
        await using var registry = await StartRegistryAsync($"http://{realmAddress}/token");

        var error = await Assert.ThrowsAsync<RegistryCheckException>(() =>
            Client(Credential).ManifestDigestAsync(WebStable(registry.Address), CancellationToken.None));

        Assert.StartsWith($"the token service {realmAddress} of registry {registry.Address} is unreachable: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(error.Unreachable);
    }

    [Fact]
    public async Task BearerChallenge_RealmAnswersAPageInsteadOfAToken_IsACheckErrorWithoutTheBody()
    {
        // A login page (a proxy in front of the realm): it used to escape as a JsonException, which no caller expects.
        await using var tokenService = await LoopbackHttpServer.StartAsync(context =>
            context.Response.WriteAsync($"<html>sign in as {context.Request.Headers.Authorization}</html>"));
        await using var registry = await StartRegistryAsync($"http://{tokenService.Address}/token");

        var error = await Assert.ThrowsAsync<RegistryCheckException>(() =>
            Client(Credential).ManifestDigestAsync(WebStable(registry.Address), CancellationToken.None));

        Assert.Equal($"the token service {tokenService.Address} of registry {registry.Address} answered something that is not a token (not JSON)", error.Message);
        Assert.False(error.Unreachable);
    }

    [Fact]
    public async Task PlainHttpRealmOffLoopback_IsNotSentTheCredentials()
    {
        await using var tokenService = await StartTokenServiceAsync();
        var realmHost = $"auth.registry.test:{tokenService.Port}";
        await using var registry = await StartRegistryAsync($"http://{realmHost}/token");
        var hosts = new Dictionary<string, IPAddress> { ["auth.registry.test"] = IPAddress.Loopback };

        var error = await Assert.ThrowsAsync<RegistryCheckException>(() =>
            Client(Credential, hosts).ManifestDigestAsync(WebStable(registry.Address), CancellationToken.None));

        Assert.Equal($"the token service {realmHost} of registry {registry.Address} is not HTTPS (http): berth sends credentials in clear text only to loopback", error.Message);
        Assert.Empty(tokenService.Requests);
    }

    [Fact]
    public async Task PlainHttpRegistryOffLoopback_IsNotAskedOverHttp()
    {
        // The same plain-HTTP server as above, but under a name that is not loopback: HTTPS fails, and berth must
        // not fall back to HTTP (the engine would not either, unless the registry is listed as insecure).
        await using var tokenService = await StartTokenServiceAsync();
        await using var registry = await StartRegistryAsync($"http://{tokenService.Address}/token");
        var hosts = new Dictionary<string, IPAddress> { ["registry.test"] = IPAddress.Loopback };

        var error = await Assert.ThrowsAsync<RegistryCheckException>(() =>
            Client(Credential, hosts).ManifestDigestAsync(WebStable($"registry.test:{registry.Port}"), CancellationToken.None));

        Assert.StartsWith($"registry registry.test:{registry.Port} is unreachable: TLS: ", error.Message, StringComparison.Ordinal);
        Assert.Empty(registry.Requests);
        Assert.Empty(tokenService.Requests);
    }

    [Fact]
    public async Task PlainHttpRegistryOnLoopback_IsAskedOverHttpAfterTlsFails()
    {
        await using var registry = await LoopbackHttpServer.StartAsync(context =>
        {
            context.Response.Headers["Docker-Content-Digest"] = Digest;
            return Task.CompletedTask;
        });

        var digest = await Client(credential: null).ManifestDigestAsync(WebStable(registry.Address), CancellationToken.None);

        Assert.Equal(Digest, digest);
        var request = Assert.Single(registry.Requests);
        Assert.Equal(("HEAD", "/v2/team/web/manifests/stable"), (request.Method, request.PathAndQuery));
    }

    private sealed class FixedCredentials(RegistryCredential? credential) : IRegistryCredentials
    {
        public Task<RegistryCredential?> ForAsync(RegistryReference reference, CancellationToken cancellationToken) => Task.FromResult(credential);
    }
}
