using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Berth.Daemon.Notifications;

/// <summary>How to reach the SMTP server (berth.yaml `notifications.sinks[].type: email`).</summary>
/// <param name="StartTls">
/// Upgrade with STARTTLS and refuse to go on without it (true), or send in clear (false: a relay on
/// loopback or the LAN). Port 465 (implicit TLS) is used when the port is 465.
/// </param>
/// <param name="Username">With <paramref name="ReadPassword"/>: authenticate (SMTP AUTH). Use STARTTLS unless the server is on the same host or a trusted network.</param>
public sealed record SmtpSettings(
    string Host,
    int Port,
    bool StartTls,
    string From,
    IReadOnlyList<string> To,
    string? Username = null,
    Func<string>? ReadPassword = null,
    TimeSpan? Timeout = null);

/// <summary>E-mail over SMTP through MailKit: one message per notification, subject = title, body = message.</summary>
public sealed class SmtpSink(SmtpSettings settings) : INotificationSink
{
    public string Name => $"email smtp://{settings.Host}:{settings.Port}";

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From));
        foreach (var to in settings.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = $"[berth] {notification.Title}";
        message.Body = new TextPart("plain")
        {
            Text = $"{notification.Message}\n\nevent: {notification.EventName()}\nhost: {notification.Host}\nrevision: {notification.Revision ?? "-"}\nat: {notification.At:u}\n",
        };

        using var client = new SmtpClient { Timeout = (int)(settings.Timeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds };
        try
        {
            var security = settings.Port == 465 ? SecureSocketOptions.SslOnConnect
                : settings.StartTls ? SecureSocketOptions.StartTls
                : SecureSocketOptions.None;
            await client.ConnectAsync(settings.Host, settings.Port, security, cancellationToken).ConfigureAwait(false);
            if (settings.Username is { } username && settings.ReadPassword is { } readPassword)
            {
                await client.AuthenticateAsync(username, readPassword(), cancellationToken).ConfigureAwait(false);
            }

            await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A refused sender or recipient (5xx) will be refused again; a connection problem or a 4xx may pass later.
            var permanent = exception is SmtpCommandException { StatusCode: >= (SmtpStatusCode)500 } or AuthenticationException;
            throw new NotificationException($"{Name}: {exception.Message}", isTransient: !permanent, exception);
        }
    }
}
