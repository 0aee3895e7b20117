using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Http;

internal static partial class HttpLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Webhook {Provider}: {Result} ({Detail})")]
    public static partial void WebhookHandled(ILogger logger, string provider, string result, string detail);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Webhook {Provider} from {RemoteAddress}: rejected ({Detail}); further rejections from this source are logged at most once a minute")]
    public static partial void WebhookRejected(ILogger logger, string provider, string remoteAddress, string detail);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Webhook {Provider} from {RemoteAddress}: rejected ({Detail}); {SuppressedBefore} more rejections from this source since the last such line")]
    public static partial void WebhookRejectedAfterSuppressed(ILogger logger, string provider, string remoteAddress, string detail, long suppressedBefore);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Listening on http://{Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);
}
