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

    public static async Task WaitUntilListeningAsync(int port, TimeSpan deadline, Func<string> diagnostics, Func<bool>? hasExited = null)
    {
        await Eventually.UntilAsync(async () =>
        {
            if (hasExited?.Invoke() == true)
            {
                throw new InvalidOperationException($"the server exited before listening on port {port}:{Environment.NewLine}{diagnostics()}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, deadline, $"a server listening on 127.0.0.1:{port} ({diagnostics()})");
    }
}
