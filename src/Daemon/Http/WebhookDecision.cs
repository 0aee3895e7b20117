using System.Text.Json;
using Berth.Daemon.Configuration;

namespace Berth.Daemon.Http;

/// <summary>What to answer a webhook request, and whether to trigger a pass.</summary>
/// <param name="Result">"triggered", "ignored", "pong" or "rejected".</param>
/// <param name="Detail">Why, for the sender's delivery log and ours. Never contains the secret.</param>
public sealed record WebhookDecision(int StatusCode, bool TriggersPass, string Result, string Detail)
{
    /// <summary>
    /// Decides about one delivery. The signature comes first: an unauthenticated request learns nothing,
    /// not even whether its branch would have counted.
    /// </summary>
    public static WebhookDecision Decide(WebhookProvider provider, Func<string, string?> header, ReadOnlySpan<byte> body, WebhookSecret secret, string branch)
    {
        if (!provider.IsAuthentic(header, body, secret))
        {
            return new(401, false, "rejected", "missing or invalid signature");
        }

        var eventName = provider.EventName(header);
        if (eventName is null)
        {
            return new(400, false, "rejected", "no event header");
        }

        if (provider.IsPing(eventName))
        {
            return new(200, false, "pong", "webhook configured");
        }

        if (!provider.IsPush(eventName))
        {
            return new(200, false, "ignored", $"event '{eventName}' is not a push");
        }

        if (TryReadRef(body) is not { } pushedRef)
        {
            return new(400, false, "rejected", "push payload without a 'ref'");
        }

        var expectedRef = "refs/heads/" + branch;
        return pushedRef == expectedRef
            ? new(202, true, "triggered", $"push to {pushedRef}")
            : new(200, false, "ignored", $"push to {pushedRef}, following {expectedRef}");
    }

    /// <summary>All three providers put the pushed ref at the top level as "ref": "refs/heads/main".</summary>
    private static string? TryReadRef(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            // Scan the top-level properties only; nested "ref" keys (e.g. in commits) do not count.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("ref"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Read();
                reader.Skip();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
