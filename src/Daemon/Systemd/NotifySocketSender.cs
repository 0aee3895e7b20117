using System.Net.Sockets;
using System.Text;

namespace Berth.Daemon.Systemd;

/// <summary>
/// Sends STATUS= and WATCHDOG=1 to systemd over NOTIFY_SOCKET (a unix datagram socket; a leading '@'
/// means the abstract namespace). Non-blocking on purpose: the hosting package's notifier blocks when the
/// receiver's queue is full (net.unix.max_dgram_qlen, 10 by default), and the reconcile loop must never
/// wait on systemd. A dropped STATUS is replaced by the next one; a dropped ping by the next ping.
/// </summary>
internal sealed class NotifySocketSender : ISystemdStateSender, IDisposable
{
    private readonly Lock gate = new();
    private readonly UnixDomainSocketEndPoint endpoint;
    private Socket? socket;

    public NotifySocketSender(string notifySocket)
    {
        ArgumentException.ThrowIfNullOrEmpty(notifySocket);
        endpoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
    }

    /// <summary>Sends one notification; false when it could not be sent now (queue full, systemd gone).</summary>
    public bool TrySend(string state)
    {
        var datagram = Encoding.UTF8.GetBytes(state);
        lock (gate)
        {
            try
            {
                socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
                socket.SendTo(datagram, SocketFlags.None, endpoint);
                return true;
            }
            catch (SocketException)
            {
                // EAGAIN (queue full), ECONNREFUSED / ENOENT (systemd restarting): start over next time.
                socket?.Dispose();
                socket = null;
                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            socket?.Dispose();
            socket = null;
        }
    }
}

/// <summary>What the status reporter and the watchdog need from systemd: send one notification, never block.</summary>
internal interface ISystemdStateSender
{
    bool TrySend(string state);
}
