using System.Net;
using System.Net.Sockets;

namespace Berth.Tests.Servers;

/// <summary>
/// Accepts every connection and never sends a byte: what a wedged proxy or a half-dead server looks
/// like to a client. A fetch against it can only end by the client's own time limit.
/// </summary>
public sealed class HangingServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> accepted = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly Task acceptLoop;

    public HangingServer()
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = AcceptForeverAsync();
    }

    public int Port { get; }

    public int AcceptedConnections
    {
        get
        {
            lock (accepted)
            {
                return accepted.Count;
            }
        }
    }

    private async Task AcceptForeverAsync()
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(stopping.Token);
                lock (accepted)
                {
                    accepted.Add(socket); // held open, never read, never written
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await acceptLoop;
        lock (accepted)
        {
            foreach (var socket in accepted)
            {
                socket.Dispose();
            }
        }

        stopping.Dispose();
    }
}
