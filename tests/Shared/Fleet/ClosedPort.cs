using System.Net;
using System.Net.Sockets;

namespace Berth.Tests.Fleet;

/// <summary>
/// A loopback port where nobody listens, held for as long as a test sends to it: a connection is
/// refused. Taking a "free" port and letting it go (bind port 0, read it, close) does not do: the
/// kernel hands the same port to the next bind of port 0, and a loopback forge started by another test
/// running in parallel then listens there and answers the requests meant for nobody (a retrying
/// sender's POST ate the fault another test had queued with FailNext). A socket bound without listen()
/// accepts no connection, and while it holds the port the kernel never picks that port for a bind of
/// port 0, which is how every loopback server of these tests chooses its port. (It does not stop an
/// explicit bind of that port number: .NET's HttpListener binds with SO_REUSEADDR.)
/// </summary>
public sealed class ClosedPort : IDisposable
{
    private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort()
    {
        // Without SO_REUSEADDR (which .NET sets on a TCP bind unless the address is exclusive).
        socket.ExclusiveAddressUse = true;
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public void Dispose() => socket.Dispose();
}
