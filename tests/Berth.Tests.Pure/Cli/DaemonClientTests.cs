using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Daemon.Cli;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Cli;

/// <summary>`berth sync` against a loopback HTTP server standing in for the daemon's rate limit.</summary>
public sealed class DaemonClientTests
{
    [Fact]
    public async Task Sync_RateLimited_WaitsRetryAfterAndAsksAgain()
    {
        // The daemon answers 429 with Retry-After once its burst is used up; a script syncing a few times in
        // a row used to fail there (exit 1) although the daemon asks only to wait.
        var (listener, port) = StartListener();
        using var _ = listener;
        var requests = 0;
        var server = Task.Run(async () =>
        {
            for (; requests < 2; requests++)
            {
                var context = await listener.GetContextAsync();
                if (requests == 0)
                {
                    context.Response.StatusCode = 429;
                    context.Response.AddHeader("Retry-After", "1");
                }
                else
                {
                    var record = new PassRecord(7, PassTrigger.Cli, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), PassOutcome.Converged, "abc", "converged", "ReconciliationSucceeded");
                    var body = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(record, StatusJsonContext.Default.PassRecord));
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(body);
                }

                context.Response.Close();
            }
        });
        Assert.True(DaemonClient.TryParseUrl($"http://127.0.0.1:{port}", out var url));
        using var client = new DaemonClient(url, "token-0123456789abcdef");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var answer = await client.SyncAsync(retryFailed: false, timeout.Token);

        await server;
        Assert.Equal((7L, PassOutcome.Converged, 2), (answer.Number, answer.Outcome, requests));
    }

    /// <summary>A listener on a free loopback port; another port when a parallel test took the one probed.</summary>
    private static (HttpListener Listener, int Port) StartListener()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Abort();
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
