using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Berth.Tests.Fleet;

/// <summary>
/// A webhook receiver on loopback (a JSON webhook, a Slack-compatible hook, an ntfy topic): records
/// every request and answers 200, or the status codes queued with <see cref="FailNext"/>.
/// </summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task serveLoop;
    private readonly Lock gate = new();
    private readonly List<ReceivedRequest> received = [];
    private readonly Queue<int> faults = new();

    private LoopbackReceiver(int port)
    {
        Port = port;
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        serveLoop = ServeAsync();
    }

    public int Port { get; }

    public Uri UrlFor(string path) => new($"http://127.0.0.1:{Port}/{path.TrimStart('/')}");

    public static LoopbackReceiver Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                var port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
                return new LoopbackReceiver(port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
            }
        }
    }

    /// <summary>Requests that got 2xx, in order.</summary>
    public IReadOnlyList<ReceivedRequest> Received
    {
        get
        {
            lock (gate)
            {
                return [.. received.Where(request => request.AnsweredStatus < 300)];
            }
        }
    }

    /// <summary>Every request, failed ones too.</summary>
    public IReadOnlyList<ReceivedRequest> Attempts
    {
        get
        {
            lock (gate)
            {
                return [.. received];
            }
        }
    }

    public void FailNext(int count, int statusCode)
    {
        lock (gate)
        {
            for (var i = 0; i < count; i++)
            {
                faults.Enqueue(statusCode);
            }
        }
    }

    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (Received.Count < count)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the receiver got {Received.Count} of {count} request(s) within {timeout.TotalSeconds:0} s: "
                    + string.Join(" | ", Attempts.Select(request => $"{request.AnsweredStatus} {request.Body}")));
            }

            await Task.Delay(50);
        }

        return Received;
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }

        int status;
        lock (gate)
        {
            status = faults.Count > 0 ? faults.Dequeue() : 200;
            var headers = context.Request.Headers.AllKeys.Where(key => key is not null)
                .ToDictionary(key => key!, key => context.Request.Headers[key] ?? "", StringComparer.OrdinalIgnoreCase);
            received.Add(new ReceivedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body, status));
        }

        try
        {
            context.Response.StatusCode = status;
            context.Response.Close();
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Close alone (it stops, too). Stop then Close removes the prefixes twice, and the second removal
        // looks the port's endpoint up again, which binds the port anew: "Address already in use" in
        // teardown whenever a parallel test has taken the port in between (.NET's managed HttpListener).
        listener.Close();
        await serveLoop;
    }
}

/// <summary>One request a <see cref="LoopbackReceiver"/> got.</summary>
public sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, int AnsweredStatus);
