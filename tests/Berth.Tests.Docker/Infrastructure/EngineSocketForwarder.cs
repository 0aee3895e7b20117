using System.Net.Sockets;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// A unix socket that forwards every connection to the real engine's socket, and can be taken down and
/// brought back. To a client (berth) that is exactly an engine that stops answering and comes back:
/// connections refused, then accepted again. Used instead of restarting dockerd, which would stop
/// the containers of every other test running on the same engine.
/// </summary>
public sealed class EngineSocketForwarder : IAsyncDisposable
{
    private const string EngineSocket = "/var/run/docker.sock";
    private readonly List<Socket> connections = [];
    private Socket? listener;
    private CancellationTokenSource? stop;

    public EngineSocketForwarder() => SocketPath = Path.Combine(Path.GetTempPath(), "berth-engine-" + Guid.NewGuid().ToString("N")[..8] + ".sock");

    public string SocketPath { get; }

    public string DockerHost => "unix://" + SocketPath;

    public void Start()
    {
        File.Delete(SocketPath);
        stop = new CancellationTokenSource();
        listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(64);
        _ = AcceptLoopAsync(listener, stop.Token);
    }

    /// <summary>Refuses new connections and cuts the open ones, as a stopped engine does.</summary>
    public void Stop()
    {
        stop?.Cancel();
        listener?.Dispose();
        listener = null;
        lock (connections)
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }

            connections.Clear();
        }

        File.Delete(SocketPath);
    }

    private async Task AcceptLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await engine.ConnectAsync(new UnixDomainSocketEndPoint(EngineSocket), cancellationToken);
            lock (connections)
            {
                connections.Add(client);
                connections.Add(engine);
            }

            _ = PumpAsync(client, engine);
            _ = PumpAsync(engine, client);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The other side went away, or Stop() cut the connection: nothing to forward any more.
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
