using System.Net;
using System.Security.Cryptography;
using System.Text;
using Berth.Reconciler.Loop;
using Berth.Tests.Process.Infrastructure;

namespace Berth.Tests.Process;

public sealed class WebhookProcessTests
{
    private static byte[] PushTo(string branch) => Encoding.UTF8.GetBytes($$"""{"ref":"refs/heads/{{branch}}","after":"0123456789abcdef"}""");

    private static string Sign(byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static async Task<HttpResponseMessage> PostGitHubAsync(DaemonProcess daemon, byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("webhooks/github", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-GitHub-Event", "push");
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature);
        }

        return await daemon.Http.SendAsync(request);
    }

    private static async Task<DaemonProcess> StartedDaemonAfterStartupPassAsync()
    {
        var daemon = await DaemonProcess.StartAsync(new DaemonSetup());
        await daemon.WaitUntilHealthyAsync();
        await Deadline.UntilAsync(async () => (await daemon.GetStatusAsync()).History.Count >= 1 ? "done" : null, "the startup pass");
        return daemon;
    }

    [Fact]
    public async Task GitHubWebhook_GoodSignatureForTheBranch_TriggersAPassSeenInStatusHistory()
    {
        await using var daemon = await StartedDaemonAfterStartupPassAsync();
        var body = PushTo(DaemonProcess.Branch);

        using var response = await PostGitHubAsync(daemon, body, Sign(body, DaemonProcess.GitHubSecret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var webhookPass = await Deadline.UntilAsync(
            async () => (await daemon.GetStatusAsync()).History.FirstOrDefault(pass => pass.Trigger == PassTrigger.Webhook),
            "a webhook pass in /status history");
        Assert.Equal(2, webhookPass.Number);
    }

    [Theory]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("wrong-secret")]
    [InlineData(null)]
    public async Task GitHubWebhook_BadOrMissingSignature_Gets401AndTriggersNothing(string? signatureKind)
    {
        await using var daemon = await StartedDaemonAfterStartupPassAsync();
        var body = PushTo(DaemonProcess.Branch);
        var signature = signatureKind == "wrong-secret" ? Sign(body, "not the secret") : signatureKind;

        using var response = await PostGitHubAsync(daemon, body, signature);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNoWebhookPassAsync(daemon);
    }

    [Fact]
    public async Task GitHubWebhook_PushToAnotherBranch_IsIgnoredAndTriggersNothing()
    {
        await using var daemon = await StartedDaemonAfterStartupPassAsync();
        var body = PushTo("feature/x");

        using var response = await PostGitHubAsync(daemon, body, Sign(body, DaemonProcess.GitHubSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("ignored", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await AssertNoWebhookPassAsync(daemon);
    }

    [Fact]
    public async Task GitLabWebhook_NotConfigured_Is404()
    {
        await using var daemon = await StartedDaemonAfterStartupPassAsync();

        using var response = await daemon.Http.PostAsync(new Uri("webhooks/gitlab", UriKind.Relative), new ByteArrayContent(PushTo("main")));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>
    /// A sync now runs a pass after the webhook request; had the webhook asked for a pass, the requests
    /// would have coalesced and that pass would carry the trigger Webhook. So: Cli means nothing was triggered.
    /// </summary>
    private static async Task AssertNoWebhookPassAsync(DaemonProcess daemon)
    {
        using var sync = await daemon.SyncWithTokenAsync();
        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        var history = (await daemon.GetStatusAsync()).History;
        Assert.Equal(PassTrigger.Cli, history[0].Trigger);
        Assert.DoesNotContain(history, pass => pass.Trigger == PassTrigger.Webhook);
    }
}
