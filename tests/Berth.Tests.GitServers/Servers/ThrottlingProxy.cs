using System.Net;
using System.Net.Sockets;

namespace Berth.Tests.Servers;

/// <summary>
/// A TCP proxy on loopback in front of a real server that passes the server's bytes on slowly (a chunk,
/// then a pause): what a large repository behind a slow link looks like to a client. Requests go through
/// at full speed, so the small exchanges (ref listing) finish quickly and a pack transfer is what drags.
/// </summary>
public sealed class ThrottlingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly int targetPort;
    private readonly int bytesPerChunk;
    private readonly TimeSpan pauseBetweenChunks;
    private readonly long? stallAfterBytes;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> connections = [];
    private readonly Task acceptLoop;
    private long bytesToClient;

    /// <param name="bytesPerChunk">Server bytes passed on at once.</param>
    /// <param name="pauseBetweenChunks">The pause after each chunk: the throughput is chunk / pause.</param>
    /// <param name="stallAfterBytes">
    /// Once a connection passed this many server bytes on, it passes nothing more and stays open: a transfer
    /// that is cut short at a known point whatever the machine's speed (null: never stalls).
    /// </param>
    public ThrottlingProxy(int targetPort, int bytesPerChunk, TimeSpan pauseBetweenChunks, long? stallAfterBytes = null)
    {
        this.targetPort = targetPort;
        this.bytesPerChunk = bytesPerChunk;
        this.pauseBetweenChunks = pauseBetweenChunks;
        this.stallAfterBytes = stallAfterBytes;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Server bytes the proxy passed on to clients so far.</summary>
    public long BytesToClient => Interlocked.Read(ref bytesToClient);

    private async Task AcceptAsync()
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stopping.Token);
                lock (connections)
                {
                    connections.Add(RelayAsync(client));
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

    private async Task RelayAsync(TcpClient client)
    {
        using var _client = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, targetPort, stopping.Token);
            var toServer = CopyAsync(client.GetStream(), server.GetStream(), throttle: false);
            var toClient = CopyAsync(server.GetStream(), client.GetStream(), throttle: true);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
        {
            // The client was killed or the test ended: nothing to relay any more.
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool throttle)
    {
        var buffer = new byte[throttle ? bytesPerChunk : 64 * 1024];
        long passedOn = 0;
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stopping.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), stopping.Token);
                if (throttle)
                {
                    Interlocked.Add(ref bytesToClient, read);
                    passedOn += read;
                    if (passedOn >= stallAfterBytes)
                    {
                        // The link goes quiet with the connection open, until the client gives up or the test ends.
                        await Task.Delay(Timeout.InfiniteTimeSpan, stopping.Token);
                    }

                    // The throttle itself, not a wait for something to happen.
                    await Task.Delay(pauseBetweenChunks, stopping.Token);
                }
            }

            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await acceptLoop;
        Task[] open;
        lock (connections)
        {
            open = [.. connections];
        }

        await Task.WhenAll(open);
        stopping.Dispose();
    }
}
