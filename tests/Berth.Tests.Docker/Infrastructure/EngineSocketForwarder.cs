using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// A unix socket that forwards every connection to the real engine's socket, and can be taken down and
/// brought back. To a client (berth) that is exactly an engine that stops answering and comes back:
/// connections refused, then accepted again. Used instead of restarting dockerd, which would stop
/// the containers of every other test running on the same engine.
/// It also keeps the request line of every HTTP request it forwards (<see cref="Requests"/>): what berth
/// asks the engine, counted where the engine sees it, whatever layer of berth or of Docker.DotNet sent it.
/// </summary>
public sealed partial class EngineSocketForwarder : IAsyncDisposable
{
    private readonly string engineSocket;
    private readonly List<Socket> connections = [];
    private Socket? listener;
    private CancellationTokenSource? stop;

    /// <param name="engineSocket">The engine to forward to: the machine's, or a test's own second dockerd (Berth.Tests.Faults).</param>
    public EngineSocketForwarder(string engineSocket = "/var/run/docker.sock")
    {
        this.engineSocket = engineSocket;
        SocketPath = Path.Combine(Path.GetTempPath(), "berth-engine-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
    }

    public string SocketPath { get; }

    public string DockerHost => "unix://" + SocketPath;

    private readonly List<string> requests = [];

    /// <summary>"METHOD /path" of every request forwarded so far (no query, no API version prefix), in order.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (requests)
            {
                return [.. requests];
            }
        }
    }

    /// <summary>Forgets the requests recorded so far.</summary>
    public void ClearRequests()
    {
        lock (requests)
        {
            requests.Clear();
        }
    }

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
            await engine.ConnectAsync(new UnixDomainSocketEndPoint(engineSocket), cancellationToken);
            lock (connections)
            {
                connections.Add(client);
                connections.Add(engine);
            }

            _ = PumpAsync(client, engine, new RequestLineReader(requests));
            _ = PumpAsync(engine, client, null);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, RequestLineReader? requestLines)
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

                requestLines?.Read(buffer.AsSpan(0, read));
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The other side went away, or Stop() cut the connection: nothing to forward any more.
        }
    }

    /// <summary>
    /// Finds HTTP/1.1 request lines in what a client sends. Line by line rather than a full HTTP parser:
    /// a request line ("GET /containers/json?all=1 HTTP/1.1") cannot be mistaken for a header or a JSON
    /// body line, and that is all a count needs.
    /// </summary>
    private sealed partial class RequestLineReader(List<string> requests)
    {
        private readonly StringBuilder line = new();

        public void Read(ReadOnlySpan<byte> bytes)
        {
            foreach (var value in bytes)
            {
                if (value != (byte)'\n')
                {
                    if (line.Length < 4096)
                    {
                        line.Append((char)value);
                    }

                    continue;
                }

                var match = RequestLine().Match(line.ToString().TrimEnd('\r'));
                line.Clear();
                if (match.Success)
                {
                    lock (requests)
                    {
                        requests.Add($"{match.Groups["method"].Value} {match.Groups["path"].Value}");
                    }
                }
            }
        }

        [GeneratedRegex(@"^(?<method>GET|HEAD|POST|PUT|DELETE) (?:/v\d+\.\d+)?(?<path>/[^?\s]*)\S* HTTP/1\.[01]$")]
        private static partial Regex RequestLine();
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
