using System.Net.Sockets;
using System.Text;
using Berth.Daemon.Systemd;

namespace Berth.Tests.Daemon;

// Uses a real unix socket in a temp directory: no systemd, no network, milliseconds.
public sealed class NotifySocketSenderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-notify-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Receive(Socket socket)
    {
        var buffer = new byte[1024];
        socket.ReceiveTimeout = 5000;
        return Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
    }

    [Fact]
    public void TrySend_PathSocket_Delivers()
    {
        var path = Path.Combine(directory, "notify.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(path));
        using var sender = new NotifySocketSender(path);

        Assert.True(sender.TrySend("WATCHDOG=1"));
        Assert.Equal("WATCHDOG=1", Receive(receiver));
    }

    [Fact]
    public void TrySend_AbstractNamespaceSocket_Delivers()
    {
        var name = "berth-test-" + Guid.NewGuid().ToString("N");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint("\0" + name));
        using var sender = new NotifySocketSender("@" + name);

        Assert.True(sender.TrySend("STATUS=ok"));
        Assert.Equal("STATUS=ok", Receive(receiver));
    }

    [Fact]
    public void TrySend_ReceiverNotReading_DropsInsteadOfBlocking()
    {
        // Regression: the hosting package's notifier blocked the reconcile loop once the receiver's
        // queue (net.unix.max_dgram_qlen, 10) was full.
        var path = Path.Combine(directory, "slow.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(path));
        using var sender = new NotifySocketSender(path);

        var results = Enumerable.Range(0, 200).Select(index => sender.TrySend($"STATUS=pass {index}")).ToList();

        Assert.Contains(false, results);
        Assert.True(results[0]);
    }

    [Fact]
    public void TrySend_NobodyListening_ReturnsFalse()
    {
        using var sender = new NotifySocketSender(Path.Combine(directory, "nobody.sock"));

        Assert.False(sender.TrySend("WATCHDOG=1"));
    }
}
