using System.Net;
using System.Text;
using System.Text.Json;
using Berth.Reconciler.Loop;
using Berth.Tests.Process.Infrastructure;

namespace Berth.Tests.Process;

/// <summary>
/// Who may use the daemon's HTTP API (issue 22, items 6, 7 and 15): /sync and rollout evidence need the
/// API token; foreign Host names and cross-site browser requests are refused; /sync is rate-limited;
/// rejected webhooks are logged once per source per interval.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HttpAccessProcessTests
{
    private static async Task<DaemonProcess> StartedAfterStartupPassAsync(DaemonSetup? setup = null)
    {
        // No timer pass during a test: the tests count passes, and only the requests they send may add any.
        var daemon = await DaemonProcess.StartAsync((setup ?? new DaemonSetup()) with { ReconcileYaml = "  interval: 1h\n  jitter: 0s\n" });
        await daemon.WaitUntilHealthyAsync();
        await Deadline.UntilAsync(async () => (await daemon.GetStatusAsync()).LastAttempted, "the startup pass");
        return daemon;
    }

    private static async Task<long> PassesSoFarAsync(DaemonProcess daemon) => (await daemon.GetStatusAsync()).LastAttempted?.Number ?? 0;

    [Theory]
    [InlineData("sync")]
    [InlineData("sync?retry-failed=true")]
    public async Task Sync_WithoutTheToken_Gets401AndRunsNoPass(string path)
    {
        await using var daemon = await StartedAfterStartupPassAsync();
        var before = await PassesSoFarAsync(daemon);

        using var anonymous = await daemon.Http.PostAsync(new Uri(path, UriKind.Relative), content: null);
        using var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Headers = { { "Authorization", "Bearer not-the-token" } } };
        using var forgedAnswer = await daemon.Http.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);
        // A pass with the token now is the next number: the refused requests ran none.
        using var authorized = await daemon.SyncWithTokenAsync();
        var pass = JsonSerializer.Deserialize(await authorized.Content.ReadAsStringAsync(), StatusJsonContext.Default.PassRecord)!;
        Assert.Equal((HttpStatusCode.OK, before + 1), (authorized.StatusCode, pass.Number));
    }

    [Fact]
    public async Task TokenFile_GeneratedAtStart_IsOwnerOnly()
    {
        await using var daemon = await StartedAfterStartupPassAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(daemon.TokenFile));
        Assert.True(File.ReadAllText(daemon.TokenFile).Trim().Length >= 32);
    }

    [Fact]
    public async Task BerthSync_WithoutAReadableToken_ExitsOneSayingWhy()
    {
        await using var daemon = await StartedAfterStartupPassAsync();

        var (exitCode, _, stderr) = await DaemonProcess.RunCliAsync("sync", "--url", daemon.BaseUrl.ToString(), "--token-file", Path.Combine(daemon.Directory, "missing-token"));

        Assert.Equal(1, exitCode);
        Assert.Contains("API token", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("sync")]
    public async Task Request_WithAForeignHostHeader_IsRefused(string path)
    {
        await using var daemon = await StartedAfterStartupPassAsync();
        // DNS rebinding: a page on attacker.example whose name now resolves to 127.0.0.1.
        using var request = daemon.WithToken(path == "sync" ? HttpMethod.Post : HttpMethod.Get, path);
        request.Headers.Host = $"attacker.example:{daemon.BaseUrl.Port}";

        using var response = await daemon.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("metrics")]
    [InlineData("healthz")]
    public async Task Probe_ScrapedUnderTheHostsOwnName_IsServed(string path)
    {
        await using var daemon = await StartedAfterStartupPassAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Host = $"web-1.example.internal:{daemon.BaseUrl.Port}";

        using var response = await daemon.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Request_WithLocalhostHostHeader_IsServed()
    {
        await using var daemon = await StartedAfterStartupPassAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("status", UriKind.Relative));
        request.Headers.Host = $"localhost:{daemon.BaseUrl.Port}";

        using var response = await daemon.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sync_CrossOriginTextPlainPost_IsRefusedAndRunsNoPass()
    {
        await using var daemon = await StartedAfterStartupPassAsync();
        var before = await PassesSoFarAsync(daemon);
        // What a page on another site can make a browser send without a preflight; even with the token
        // (a browser could not attach it, but the refusal must not depend on that alone).
        using var request = daemon.WithToken(HttpMethod.Post, "sync?retry-failed=true");
        request.Content = new StringContent("x", Encoding.UTF8, "text/plain");
        request.Headers.Add("Origin", "https://attacker.example");
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        using var response = await daemon.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await PassesSoFarAsync(daemon));
    }

    [Fact]
    public async Task Sync_Flood_IsRateLimitedWhileASingleSyncStillWorks()
    {
        await using var daemon = await StartedAfterStartupPassAsync();
        var before = await PassesSoFarAsync(daemon);

        var codes = new List<HttpStatusCode>();
        var flood = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 0; attempt < 15; attempt++)
        {
            using var response = await daemon.SyncWithTokenAsync();
            codes.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        // The first syncs always work; the rest of the flood is refused before it runs a pass.
        Assert.Equal(HttpStatusCode.OK, codes[0]);
        // 5 at once, one more per 10 s: a slow machine earns one more for every 10 s the flood lasts.
        var accepted = codes.Count(code => code == HttpStatusCode.OK);
        Assert.InRange(accepted, 5, 6 + (int)(flood.Elapsed.TotalSeconds / 10));
        Assert.Equal(15 - accepted, codes.Count(code => code == HttpStatusCode.TooManyRequests));
        Assert.Equal(before + accepted, await PassesSoFarAsync(daemon));
    }

    [Fact]
    public async Task Status_WithoutTheToken_HasNoEvidence_WithItHasIt()
    {
        await using var daemon = await StartedAfterStartupPassAsync(new DaemonSetup { PassScript = PassScripts.FailedRollout });

        var anonymous = await daemon.Http.GetStringAsync(new Uri("status", UriKind.Relative));
        using var request = daemon.WithToken(HttpMethod.Get, "status");
        using var authorized = await daemon.Http.SendAsync(request);
        var withToken = await authorized.Content.ReadAsStringAsync();

        Assert.DoesNotContain("DATABASE_URL", anonymous, StringComparison.Ordinal);
        Assert.Contains("hidden", anonymous, StringComparison.Ordinal);
        Assert.Contains("RolledBack", anonymous, StringComparison.Ordinal);
        Assert.Contains("DATABASE_URL is not set", withToken, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BerthStatus_WithoutTheToken_ShowsTheStatusWithoutEvidence()
    {
        await using var daemon = await StartedAfterStartupPassAsync(new DaemonSetup { PassScript = PassScripts.FailedRollout });

        var (exitCode, stdout, stderr) = await DaemonProcess.RunCliAsync("status", "--url", daemon.BaseUrl.ToString(), "--token-file", Path.Combine(daemon.Directory, "missing-token"));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("last rollout RolledBack badc0ffee0dd", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("DATABASE_URL", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_ForgedFlood_LogsOneWarningPerSource()
    {
        await using var daemon = await StartedAfterStartupPassAsync();

        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("webhooks/github", UriKind.Relative)) { Content = new ByteArrayContent("{}"u8.ToArray()) };
            request.Headers.Add("X-GitHub-Event", "push");
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + new string('0', 64));
            using var response = await daemon.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // The metric counts every one; the journal gets one line.
        await Deadline.UntilAsync(
            async () => (await daemon.Http.GetStringAsync(new Uri("metrics", UriKind.Relative))).Contains("result=\"rejected\"} 20", StringComparison.Ordinal) ? "counted" : null,
            "20 rejected webhooks in /metrics");
        // The console logger writes from its own queue: wait for the first line, then count them all.
        static int Warnings(DaemonProcess daemon) => daemon.Output.Split('\n').Count(line => line.Contains("rejected (missing or invalid signature)", StringComparison.Ordinal));
        await Deadline.UntilAsync(() => Task.FromResult(Warnings(daemon) >= 1 ? "logged" : null), "the first rejection in the log");
        Assert.Equal(1, Warnings(daemon));
    }
}
