using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Http;

internal static partial class HttpLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Webhook {Provider}: {Result} ({Detail})")]
    public static partial void WebhookHandled(ILogger logger, string provider, string result, string detail);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Webhook {Provider} from {RemoteAddress}: rejected ({Detail}); {SuppressedBefore} earlier rejections from this source not logged (at most one line per source per minute)")]
    public static partial void WebhookRejected(ILogger logger, string provider, string remoteAddress, string detail, long suppressedBefore);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Listening on http://{Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);
}
