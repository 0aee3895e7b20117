using System.Globalization;
using Berth.Reconciler.Images;

namespace Berth.Reconciler.Execution;

/// <summary>
/// Says how a running pull stands, every <see cref="Interval"/>, as a progress line (`berth apply`'s
/// output, the daemon's journal), and once it succeeded, what it downloaded in how long. A pull that
/// finishes within the first interval says nothing: short pulls stay as quiet as before.
/// </summary>
/// <remarks>
/// The lines name the image as written in the spec and counts from the engine's stream, never the
/// credentials the pull was sent with.
/// </remarks>
internal sealed class PullProgressReporter : IAsyncDisposable
{
    /// <summary>5 s: often enough that a long pull visibly moves, rare enough not to flood the journal.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    private readonly string image;
    private readonly TimeProvider timeProvider;
    private readonly Action<ProgressEvent> progress;
    private readonly long startedAt;
    private readonly Lock gate = new();
    private readonly ITimer timer;
    private bool reported;
    private bool stopped;

    private PullProgressReporter(string image, TimeSpan interval, TimeProvider timeProvider, Action<ProgressEvent> progress)
    {
        this.image = image;
        this.timeProvider = timeProvider;
        this.progress = progress;
        Interval = interval;
        startedAt = timeProvider.GetTimestamp();
        timer = timeProvider.CreateTimer(_ => Tick(), null, interval, interval);
    }

    public TimeSpan Interval { get; }

    /// <summary>Where the engine's messages for this pull go.</summary>
    public PullProgress Messages { get; } = new();

    /// <summary>Starts the clock for a pull of <paramref name="image"/> that begins now.</summary>
    public static PullProgressReporter Start(string image, TimeSpan interval, TimeProvider timeProvider, Action<ProgressEvent> progress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return new PullProgressReporter(image, interval, timeProvider, progress);
    }

    /// <summary>The pull succeeded: the final line, when progress lines came before it.</summary>
    public async ValueTask SucceededAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (reported)
        {
            progress(new ProgressEvent(null, $"pulled image {image}: {Messages.Snapshot().DescribeFinished()} in {Elapsed()}"));
        }
    }

    /// <summary>Stops the lines (a failed pull says so through its step's failure line instead).</summary>
    public ValueTask DisposeAsync() => StopAsync();

    private async ValueTask StopAsync()
    {
        lock (gate)
        {
            stopped = true;
        }

        // Also waits for a tick in flight, so no progress line follows the final one.
        await timer.DisposeAsync().ConfigureAwait(false);
    }

    private void Tick()
    {
        lock (gate)
        {
            if (stopped)
            {
                return;
            }

            reported = true;
            progress(new ProgressEvent(null, $"pulling image {image}: {Messages.Snapshot().Describe()}, {Elapsed()}"));
        }
    }

    private string Elapsed() => timeProvider.GetElapsedTime(startedAt).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
