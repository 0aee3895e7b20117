using System.Threading.Channels;
using Berth.Daemon.Loop;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace Berth.Tests.Daemon;

/// <summary>A <see cref="ReconcileLoop"/> on a fake clock with a hand-driven pass and a fixed "random" number.</summary>
internal sealed class LoopHarness : IAsyncDisposable
{
    private readonly Channel<DateTimeOffset> idle = Channel.CreateUnbounded<DateTimeOffset>();

    public LoopHarness(ReconcileLoopOptions? options = null, double random01 = 0.5, IEnumerable<IPassCompletedListener>? listeners = null)
    {
        Options = options ?? new ReconcileLoopOptions
        {
            Interval = TimeSpan.FromSeconds(60),
            Jitter = TimeSpan.FromSeconds(10),
            RetryInitialDelay = TimeSpan.FromSeconds(5),
            RetryMaxDelay = TimeSpan.FromSeconds(60),
            StuckPassAfter = TimeSpan.FromMinutes(10),
        };
        Status = new StatusBoard("test-host", "0.0.0", Time.GetUtcNow());
        Liveness = new LoopLiveness(Options, Time);
        Metrics = new BerthMetrics(Registry, Time);
        Loop = new ReconcileLoop(Pass, Status, Liveness, Options, Time, NullLogger<ReconcileLoop>.Instance, listeners ?? [], lifetime: null, () => random01, Metrics);
        Loop.Idle += dueAt => idle.Writer.TryWrite(dueAt);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    public FakeReconcilePass Pass { get; } = new();

    public ReconcileLoopOptions Options { get; }

    public StatusBoard Status { get; }

    /// <summary>The loop's metrics, on a registry of this harness alone.</summary>
    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public BerthMetrics Metrics { get; }

    public LoopLiveness Liveness { get; }

    public ReconcileLoop Loop { get; }

    public Task StartAsync() => Loop.StartAsync(CancellationToken.None);

    /// <summary>Waits until the loop has armed its timer and returns the due time of the next pass.</summary>
    public async Task<DateTimeOffset> IdleAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await idle.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>Forgets idle notifications so far (the next <see cref="IdleAsync"/> is a fresh one).</summary>
    public void DrainIdle()
    {
        while (idle.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>Completes the current call, then waits for the loop to be idle again; returns the next due time.</summary>
    public async Task<DateTimeOffset> CompleteAndIdleAsync(PassCall call, PassOutcome outcome)
    {
        DrainIdle();
        call.Complete(outcome);
        return await IdleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Loop.StopAsync(deadline.Token);
        Loop.Dispose();
    }
}
