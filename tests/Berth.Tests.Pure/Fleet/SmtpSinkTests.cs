using Berth.Daemon.Notifications;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Fleet;

/// <summary>E-mail notifications through MailKit to a real SMTP server on loopback.</summary>
public sealed class SmtpSinkTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static Notification RolledBack() => NotificationEvents.Failure(
        new PassRecord(1, PassTrigger.Timer, DateTimeOffset.UnixEpoch, TimeSpan.Zero, PassOutcome.Stalled, "0123456789abcdef0123456789abcdef01234567", "0123456789ab: shop/web: health gate failed", "RolledBack"),
        "web-1", new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero))!;

    [Fact]
    public async Task Send_PlainSmtp_DeliversOneMessageToEveryRecipient()
    {
        using var server = await LoopbackSmtpServer.StartAsync();
        var sink = new SmtpSink(new SmtpSettings("127.0.0.1", server.Port, StartTls: false, "berth@web-1.example.com", ["ops@example.com", "oncall@example.com"]));

        await sink.SendAsync(RolledBack(), CancellationToken.None);

        var message = Assert.Single(await server.WaitForMessagesAsync(1, Deadline));
        Assert.Equal("[berth] web-1: rolled back (0123456789ab)", message.Subject);
        Assert.Equal("berth@web-1.example.com", message.From.Mailboxes.Single().Address);
        Assert.Equal(["ops@example.com", "oncall@example.com"], message.To.Mailboxes.Select(mailbox => mailbox.Address));
        Assert.StartsWith("0123456789ab: shop/web: health gate failed\n", message.TextBody!.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("event: rolledBack", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_ServerRequiresAuth_AuthenticatesWithThePasswordFile()
    {
        using var server = await LoopbackSmtpServer.StartAsync(user: "berth", password: "smtp-test-password");
        var passwordFile = Path.GetTempFileName();
        File.WriteAllText(passwordFile, "smtp-test-password\n");
        try
        {
            var sink = new SmtpSink(new SmtpSettings("127.0.0.1", server.Port, StartTls: false, "berth@example.com", ["ops@example.com"],
                "berth", () => File.ReadAllText(passwordFile).TrimEnd('\n')));

            await sink.SendAsync(RolledBack(), CancellationToken.None);

            Assert.Single(await server.WaitForMessagesAsync(1, Deadline));
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    [Fact]
    public async Task Send_WrongPassword_FailsAsNotTransientWithoutThePassword()
    {
        using var server = await LoopbackSmtpServer.StartAsync(user: "berth", password: "smtp-test-password");
        var sink = new SmtpSink(new SmtpSettings("127.0.0.1", server.Port, StartTls: false, "berth@example.com", ["ops@example.com"], "berth", () => "not-the-password"));

        var exception = await Assert.ThrowsAsync<NotificationException>(() => sink.SendAsync(RolledBack(), CancellationToken.None));

        Assert.False(exception.IsTransient);
        Assert.DoesNotContain("not-the-password", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_NobodyListens_IsTransient()
    {
        using var closed = new ClosedPort();
        var sink = new SmtpSink(new SmtpSettings("127.0.0.1", closed.Port, StartTls: false, "berth@example.com", ["ops@example.com"]));

        var exception = await Assert.ThrowsAsync<NotificationException>(() => sink.SendAsync(RolledBack(), CancellationToken.None));

        Assert.True(exception.IsTransient);
    }
}
