using System.Net;
using System.Text;
using Berth.Tests.Process.Infrastructure;

namespace Berth.Tests.Process;

/// <summary>
/// The HTTP listener off loopback and its limits (issue 21): bound elsewhere, every endpoint but
/// /healthz, /metrics and the signed webhooks needs the token, and the daemon does not start without a
/// token file; bodies are size-limited with a reason; webhooks are rate-limited per source address.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ListenerProcessTests
{
    private const string Token = "listener-test-token-0123456789abcdef";

    private static async Task<DaemonProcess> StartedAsync(DaemonSetup setup)
    {
        var daemon = await DaemonProcess.StartAsync(setup with { ReconcileYaml = "  interval: 1h\n  jitter: 0s\n" });
        await daemon.WaitUntilHealthyAsync();
        return daemon;
    }

    [Fact]
    public async Task Daemon_BoundOffLoopbackWithoutATokenFile_RefusesToStartSayingWhereAndWhy()
    {
        // Never binds: the config is refused first. 0.0.0.0 is the address an operator would write.
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { ListenAddress = "0.0.0.0" });

        var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Matches(@"berth\.yaml:2:1: listen: 0\.0\.0\.0:\d+ is not a loopback address", daemon.Output);
        Assert.Contains("http.tokenFile", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_BoundOffLoopback_NeedsTheTokenForAllButProbesMetricsAndWebhooks()
    {
        using var network = NetworkNamespace.Create();
        await using var daemon = await StartedAsync(new DaemonSetup { ListenAddress = network.InnerAddress, NetworkNamespace = network.Name, ApiToken = Token });

        async Task<HttpStatusCode> StatusOf(HttpMethod method, string path, bool withToken)
        {
            using var request = withToken ? daemon.WithToken(method, path) : new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            using var response = await daemon.Http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await StatusOf(HttpMethod.Get, "healthz", withToken: false));
        Assert.Equal(HttpStatusCode.OK, await StatusOf(HttpMethod.Get, "metrics", withToken: false));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOf(HttpMethod.Get, "status", withToken: false));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOf(HttpMethod.Get, "readyz", withToken: false));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOf(HttpMethod.Post, "sync", withToken: false));
        Assert.Equal(HttpStatusCode.OK, await StatusOf(HttpMethod.Get, "status", withToken: true));
        // A webhook is judged by its signature, not the bearer token: an unsigned one is the webhook's own 401.
        using var webhook = new HttpRequestMessage(HttpMethod.Post, new Uri("webhooks/github", UriKind.Relative)) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        webhook.Headers.Add("X-GitHub-Event", "push");
        using var webhookAnswer = await daemon.Http.SendAsync(webhook);
        Assert.Equal(HttpStatusCode.Unauthorized, webhookAnswer.StatusCode);
        Assert.Contains("signature", await webhookAnswer.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Daemon_OnLoopback_StatusStaysReadableWithoutTheToken()
    {
        await using var daemon = await StartedAsync(new DaemonSetup());

        using var response = await daemon.Http.GetAsync(new Uri("status", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sync_WithABody_IsRefused413WithAReason()
    {
        await using var daemon = await StartedAsync(new DaemonSetup());
        using var request = daemon.WithToken(HttpMethod.Post, "sync");
        request.Content = new ByteArrayContent(new byte[64 * 1024]);

        using var response = await daemon.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("at most 16 KiB", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Webhook_BodyOverTheLimit_IsRefused413WithAReason(bool declaredLength)
    {
        await using var daemon = await StartedAsync(new DaemonSetup());
        var body = new byte[(5 * 1024 * 1024) + 1];
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("webhooks/github", UriKind.Relative))
        {
            // Without a declared length the body is chunked: the limit holds while it is read.
            Content = declaredLength ? new ByteArrayContent(body) : new StreamContent(new MemoryStream(body)),
        };
        request.Headers.TransferEncodingChunked = !declaredLength;
        request.Headers.Add("X-GitHub-Event", "push");

        using var response = await daemon.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("limited to 5 MiB", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_FloodFromOneAddress_Gets429WithRetryAfter()
    {
        await using var daemon = await StartedAsync(new DaemonSetup());

        var codes = new List<HttpStatusCode>();
        TimeSpan? retryAfter = null;
        for (var attempt = 0; attempt < 30; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("webhooks/github", UriKind.Relative)) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{}")) };
            request.Headers.Add("X-GitHub-Event", "push");
            using var response = await daemon.Http.SendAsync(request);
            codes.Add(response.StatusCode);
            retryAfter ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response.Headers.RetryAfter?.Delta : null;
        }

        // 20 at once from one address, then one per 3 s: a slow machine earns one more per 3 s the flood lasts.
        Assert.Equal(HttpStatusCode.Unauthorized, codes[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, codes);
        Assert.True(retryAfter > TimeSpan.Zero, "429 without Retry-After");
        Assert.InRange(codes.Count(code => code == HttpStatusCode.Unauthorized), 20, 29);
    }
}
