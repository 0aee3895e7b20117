using System.Security.Cryptography;
using System.Text;
using Berth.Daemon.Configuration;
using Berth.Daemon.Http;

namespace Berth.Tests.Daemon;

public sealed class WebhookDecisionTests
{
    private static readonly WebhookSecret Secret = new("It's a Secret to Everybody", "/etc/berth/secret");

    private static byte[] PushTo(string branch) => Encoding.UTF8.GetBytes($$"""{"ref":"refs/heads/{{branch}}","before":"a","commits":[{"ref":"refs/heads/main"}]}""");

    private static string HexHmac(string secret, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.FirstOrDefault(header => string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static WebhookDecision GitHub(byte[] body, string? signature, string eventName = "push") =>
        WebhookDecision.Decide(WebhookProvider.GitHub, Headers(("X-GitHub-Event", eventName), ("X-Hub-Signature-256", signature!)), body, Secret, "main");

    [Fact]
    public void GitHub_DocumentedExample_Verifies()
    {
        // The example from GitHub's "Validating webhook deliveries" page.
        var body = "Hello, World!"u8.ToArray();
        const string signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

        Assert.True(WebhookProvider.GitHub.IsAuthentic(Headers(("X-Hub-Signature-256", signature)), body, Secret));
    }

    [Fact]
    public void GitHub_PushToConfiguredBranchWithGoodSignature_Triggers()
    {
        var body = PushTo("main");

        var decision = GitHub(body, "sha256=" + HexHmac("It's a Secret to Everybody", body));

        Assert.Equal(new WebhookDecision(202, true, "triggered", "push to refs/heads/main"), decision);
    }

    [Fact]
    public void GitHub_PushToAnotherBranch_IsIgnored()
    {
        var body = PushTo("feature");

        var decision = GitHub(body, "sha256=" + HexHmac("It's a Secret to Everybody", body));

        Assert.Equal(200, decision.StatusCode);
        Assert.False(decision.TriggersPass);
        Assert.Equal("ignored", decision.Result);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("sha256=zz")]
    [InlineData("sha1=0000000000000000000000000000000000000000")]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sha256=not-hex-not-hex-not-hex-not-hex-not-hex-not-hex-not-hex-not-hex")]
    public void GitHub_BadOrMissingSignature_Is401AndTriggersNothing(string? signature)
    {
        var decision = GitHub(PushTo("main"), signature);

        Assert.Equal(401, decision.StatusCode);
        Assert.False(decision.TriggersPass);
    }

    [Fact]
    public void GitHub_SignatureWithAnotherSecret_Is401()
    {
        var body = PushTo("main");

        var decision = GitHub(body, "sha256=" + HexHmac("another secret", body));

        Assert.Equal(401, decision.StatusCode);
    }

    [Fact]
    public void GitHub_BodyChangedAfterSigning_Is401()
    {
        var signed = PushTo("main");
        var tampered = PushTo("main").Concat(" "u8.ToArray()).ToArray();

        var decision = GitHub(tampered, "sha256=" + HexHmac("It's a Secret to Everybody", signed));

        Assert.Equal(401, decision.StatusCode);
    }

    [Fact]
    public void GitHub_UppercaseHexSignature_Verifies()
    {
        var body = PushTo("main");

        var decision = GitHub(body, "sha256=" + HexHmac("It's a Secret to Everybody", body).ToUpperInvariant());

        Assert.True(decision.TriggersPass);
    }

    [Fact]
    public void GitHub_Ping_AnswersPongWithoutTrigger()
    {
        var body = """{"zen":"Keep it logically awesome."}"""u8.ToArray();

        var decision = GitHub(body, "sha256=" + HexHmac("It's a Secret to Everybody", body), eventName: "ping");

        Assert.Equal((200, false, "pong"), (decision.StatusCode, decision.TriggersPass, decision.Result));
    }

    [Fact]
    public void GitHub_SignedButNotJson_Is400()
    {
        var body = "not json"u8.ToArray();

        var decision = GitHub(body, "sha256=" + HexHmac("It's a Secret to Everybody", body));

        Assert.Equal(400, decision.StatusCode);
        Assert.False(decision.TriggersPass);
    }

    [Fact]
    public void GitLab_PushWithRightToken_Triggers()
    {
        var decision = WebhookDecision.Decide(
            WebhookProvider.GitLab, Headers(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "It's a Secret to Everybody")), PushTo("main"), Secret, "main");

        Assert.True(decision.TriggersPass);
        Assert.Equal(202, decision.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("It's a Secret to Everybody ")]
    [InlineData("wrong")]
    public void GitLab_WrongOrMissingToken_Is401(string? token)
    {
        var decision = WebhookDecision.Decide(
            WebhookProvider.GitLab, Headers(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", token!)), PushTo("main"), Secret, "main");

        Assert.Equal(401, decision.StatusCode);
        Assert.False(decision.TriggersPass);
    }

    [Fact]
    public void GitLab_TagPush_IsIgnored()
    {
        var decision = WebhookDecision.Decide(
            WebhookProvider.GitLab, Headers(("X-Gitlab-Event", "Tag Push Hook"), ("X-Gitlab-Token", "It's a Secret to Everybody")), PushTo("main"), Secret, "main");

        Assert.Equal(("ignored", false), (decision.Result, decision.TriggersPass));
    }

    [Fact]
    public void Gitea_PushWithGoodSignature_Triggers()
    {
        var body = PushTo("main");

        var decision = WebhookDecision.Decide(
            WebhookProvider.Gitea, Headers(("X-Gitea-Event", "push"), ("X-Gitea-Signature", HexHmac("It's a Secret to Everybody", body))), body, Secret, "main");

        Assert.True(decision.TriggersPass);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sha256=")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    public void Gitea_BadOrMissingSignature_Is401(string? signature)
    {
        var decision = WebhookDecision.Decide(
            WebhookProvider.Gitea, Headers(("X-Gitea-Event", "push"), ("X-Gitea-Signature", signature!)), PushTo("main"), Secret, "main");

        Assert.Equal(401, decision.StatusCode);
        Assert.False(decision.TriggersPass);
    }

    [Fact]
    public void Gitea_GitHubStyleSignatureWithPrefix_Is401()
    {
        var body = PushTo("main");

        var decision = WebhookDecision.Decide(
            WebhookProvider.Gitea, Headers(("X-Gitea-Event", "push"), ("X-Gitea-Signature", "sha256=" + HexHmac("It's a Secret to Everybody", body))), body, Secret, "main");

        Assert.Equal(401, decision.StatusCode);
    }

    [Fact]
    public void Decide_RejectedRequest_DetailNeverContainsTheSecret()
    {
        var decision = GitHub(PushTo("main"), "sha256=00");

        Assert.DoesNotContain("Secret to Everybody", decision.Detail, StringComparison.Ordinal);
    }
}
