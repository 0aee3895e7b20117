using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Berth.Tests.Process.Infrastructure;

/// <summary>
/// Plays systemd's side of sd_notify: a unix datagram socket the child finds in NOTIFY_SOCKET. Every
/// datagram is kept, in order, so tests can wait for READY=1, STATUS=..., WATCHDOG=1, STOPPING=1.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly Channel<(DateTimeOffset At, string Message)> messages = Channel.CreateUnbounded<(DateTimeOffset, string)>();
    private readonly CancellationTokenSource stop = new();
    private readonly Task receiving;
    private readonly List<string> all = [];

    public NotifySocket(string directory)
    {
        Path = System.IO.Path.Combine(directory, "notify.sock");
        socket.Bind(new UnixDomainSocketEndPoint(Path));
        receiving = Task.Run(ReceiveAsync);
    }

    public string Path { get; }

    /// <summary>Everything received so far (for failure messages).</summary>
    public string Transcript
    {
        get
        {
            lock (all)
            {
                return string.Join(" | ", all);
            }
        }
    }

    /// <summary>Waits for a datagram with a line that starts with <paramref name="prefix"/>; returns that line.</summary>
    public async Task<string> WaitForAsync(string prefix, TimeSpan? within = null)
    {
        using var deadline = new CancellationTokenSource(within ?? Deadline.Default);
        try
        {
            while (true)
            {
                var (_, message) = await messages.Reader.ReadAsync(deadline.Token);
                foreach (var line in message.Split('\n'))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{prefix}' on the notify socket; received: {Transcript}");
        }
    }

    /// <summary>True if a line starting with <paramref name="prefix"/> arrives within <paramref name="within"/>.</summary>
    public async Task<bool> ReceivesWithinAsync(string prefix, TimeSpan within)
    {
        try
        {
            await WaitForAsync(prefix, within);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                var message = Encoding.UTF8.GetString(buffer, 0, received);
                lock (all)
                {
                    all.Add(message);
                }

                messages.Writer.TryWrite((DateTimeOffset.UtcNow, message));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        socket.Dispose();
        receiving.Wait(TimeSpan.FromSeconds(5));
        stop.Dispose();
        File.Delete(Path);
    }
}
