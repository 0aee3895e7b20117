using System.Net;
using System.Net.Sockets;

namespace Berth.Tests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback port free right now (the OS picks it); a server started with it immediately gets it in practice.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
