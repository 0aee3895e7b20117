using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Daemon.Notifications;

/// <summary>Where notifications go. Implementations throw on failure; <see cref="NotificationDispatcher"/> retries and logs.</summary>
public interface INotificationSink
{
    /// <summary>For messages: the kind and where to ("slack https://hooks.slack.com/…", never a token).</summary>
    string Name { get; }

    Task SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>A failed delivery; <see cref="IsTransient"/>: worth another attempt (no answer, 5xx, 429).</summary>
public sealed class NotificationException(string message, bool isTransient, Exception? inner = null) : Exception(message, inner)
{
    public bool IsTransient { get; } = isTransient;
}

/// <summary>Shared by the HTTP sinks: POST, sort failures, name the URL without its path (Slack's hook URL path is its secret).</summary>
public abstract class HttpNotificationSink(HttpClient http, Uri url) : INotificationSink
{
    public abstract string Name { get; }

    /// <summary>The URL without its path and query: a Slack or Discord hook URL carries its secret there.</summary>
    protected string SafeUrl => url.GetLeftPart(UriPartial.Authority);

    public abstract Task SendAsync(Notification notification, CancellationToken cancellationToken);

    protected async Task PostAsync(HttpContent content, Action<HttpRequestMessage>? headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("berth", null));
        headers?.Invoke(request);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new NotificationException($"{Name}: {exception.Message}", isTransient: true, exception);
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NotificationException($"{Name}: no answer within {http.Timeout.TotalSeconds:0} s", isTransient: true, exception);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var code = (int)response.StatusCode;
                throw new NotificationException($"{Name} answered {code} {response.ReasonPhrase}", code is >= 500 or 429 or 408);
            }
        }
    }

    protected static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}

/// <summary>
/// A generic JSON webhook: POSTs {event, severity, host, revision, title, message, at} (docs/fleet.md),
/// for a receiver of one's own (Alertmanager-style relays, n8n, a script).
/// </summary>
public sealed class JsonWebhookSink(HttpClient http, Uri url) : HttpNotificationSink(http, url)
{
    public override string Name => $"webhook {SafeUrl}";

    public override Task SendAsync(Notification notification, CancellationToken cancellationToken) =>
        PostAsync(Json(new JsonObject
        {
            ["event"] = notification.EventName(),
            ["severity"] = notification.Severity.ToString().ToLowerInvariant(),
            ["host"] = notification.Host,
            ["revision"] = notification.Revision,
            ["title"] = notification.Title,
            ["message"] = notification.Message,
            ["at"] = notification.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        }), null, cancellationToken);
}

/// <summary>
/// A Slack-compatible incoming webhook: {"text": "..."}, which Slack, Mattermost and Discord's
/// /slack endpoint all accept (the one field they share; attachments and blocks differ).
/// </summary>
public sealed class SlackWebhookSink(HttpClient http, Uri url) : HttpNotificationSink(http, url)
{
    public override string Name => $"slack {SafeUrl}";

    public override Task SendAsync(Notification notification, CancellationToken cancellationToken) =>
        PostAsync(Json(new JsonObject { ["text"] = $"{Icon(notification.Severity)} *{notification.Title}*\n{notification.Message}" }), null, cancellationToken);

    private static string Icon(NotificationSeverity severity) => severity switch
    {
        NotificationSeverity.Error => ":red_circle:",
        NotificationSeverity.Warning => ":warning:",
        _ => ":white_check_mark:",
    };
}

/// <summary>
/// ntfy (ntfy.sh or a self-hosted server): the message as the body of a POST to the topic URL, with
/// Title, Priority (1-5) and Tags headers; an access token, when given, as "Authorization: Bearer".
/// </summary>
public sealed class NtfySink(HttpClient http, Uri topicUrl, Func<string>? readToken) : HttpNotificationSink(http, topicUrl)
{
    public override string Name => $"ntfy {SafeUrl}";

    public override Task SendAsync(Notification notification, CancellationToken cancellationToken) =>
        PostAsync(new StringContent(notification.Message, Encoding.UTF8, "text/plain"), request =>
        {
            // Header values must be ASCII-safe: a host or revision never has other characters; the title is built from them.
            request.Headers.Add("Title", notification.Title);
            request.Headers.Add("Priority", notification.Severity switch
            {
                NotificationSeverity.Error => "4",
                NotificationSeverity.Warning => "3",
                _ => "2",
            });
            request.Headers.Add("Tags", notification.Severity switch
            {
                NotificationSeverity.Error => "rotating_light," + notification.EventName(),
                NotificationSeverity.Warning => "warning," + notification.EventName(),
                _ => "white_check_mark," + notification.EventName(),
            });
            if (readToken is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", readToken());
            }
        }, cancellationToken);
}
