using System.Security.Cryptography;
using System.Text;
using Berth.Daemon.Configuration;

namespace Berth.Daemon.Http;

/// <summary>
/// One git hosting service's webhook dialect: how it proves the sender knows the secret, and how it names
/// a push event. Signatures are checked in constant time over the raw body, before anything is parsed.
/// </summary>
public abstract class WebhookProvider
{
    public static readonly WebhookProvider GitHub = new GitHubProvider();
    public static readonly WebhookProvider GitLab = new GitLabProvider();
    public static readonly WebhookProvider Gitea = new GiteaProvider();

    /// <summary>The path segment: /webhooks/{Name}.</summary>
    public abstract string Name { get; }

    /// <summary>True when the request carries a valid signature (or token) for <paramref name="secret"/>.</summary>
    public abstract bool IsAuthentic(Func<string, string?> header, ReadOnlySpan<byte> body, WebhookSecret secret);

    /// <summary>The event kind as the provider names it (e.g. "push"), null if the header is missing.</summary>
    public abstract string? EventName(Func<string, string?> header);

    public abstract bool IsPush(string eventName);

    /// <summary>GitHub and Gitea send "ping" when a hook is created; answering it shows the hook works.</summary>
    public virtual bool IsPing(string eventName) => eventName == "ping";

    /// <summary>HMAC-SHA256 of the body, compared in constant time with the hex digest the sender computed.</summary>
    protected static bool HmacSha256Matches(string? hexSignature, ReadOnlySpan<byte> body, WebhookSecret secret)
    {
        if (string.IsNullOrEmpty(hexSignature) || hexSignature.Length != SHA256.HashSizeInBytes * 2)
        {
            return false;
        }

        Span<byte> claimed = stackalloc byte[SHA256.HashSizeInBytes];
        if (Convert.FromHexString(hexSignature, claimed, out _, out var written) != System.Buffers.OperationStatus.Done || written != claimed.Length)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret.Bytes, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }

    private sealed class GitHubProvider : WebhookProvider
    {
        private const string Prefix = "sha256=";

        public override string Name => "github";

        public override bool IsAuthentic(Func<string, string?> header, ReadOnlySpan<byte> body, WebhookSecret secret)
        {
            var signature = header("X-Hub-Signature-256");
            return signature is not null
                && signature.StartsWith(Prefix, StringComparison.Ordinal)
                && HmacSha256Matches(signature[Prefix.Length..], body, secret);
        }

        public override string? EventName(Func<string, string?> header) => header("X-GitHub-Event");

        public override bool IsPush(string eventName) => eventName == "push";
    }

    private sealed class GitLabProvider : WebhookProvider
    {
        public override string Name => "gitlab";

        /// <summary>
        /// GitLab sends the secret itself. Hashing both sides first makes the comparison constant-time in the
        /// token's length too (FixedTimeEquals returns early on a length mismatch).
        /// </summary>
        public override bool IsAuthentic(Func<string, string?> header, ReadOnlySpan<byte> body, WebhookSecret secret)
        {
            var token = header("X-Gitlab-Token");
            if (string.IsNullOrEmpty(token))
            {
                return false;
            }

            Span<byte> claimed = stackalloc byte[SHA256.HashSizeInBytes];
            Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(Encoding.UTF8.GetBytes(token), claimed);
            SHA256.HashData(secret.Bytes, expected);
            return CryptographicOperations.FixedTimeEquals(expected, claimed);
        }

        public override string? EventName(Func<string, string?> header) => header("X-Gitlab-Event");

        public override bool IsPush(string eventName) => eventName == "Push Hook";

        public override bool IsPing(string eventName) => false;
    }

    private sealed class GiteaProvider : WebhookProvider
    {
        public override string Name => "gitea";

        public override bool IsAuthentic(Func<string, string?> header, ReadOnlySpan<byte> body, WebhookSecret secret) =>
            HmacSha256Matches(header("X-Gitea-Signature"), body, secret);

        public override string? EventName(Func<string, string?> header) => header("X-Gitea-Event");

        public override bool IsPush(string eventName) => eventName == "push";
    }
}
