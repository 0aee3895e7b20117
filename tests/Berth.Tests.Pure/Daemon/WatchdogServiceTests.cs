using System.Threading.Channels;
using Berth.Daemon.Loop;
using Berth.Daemon.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Daemon;

public sealed class WatchdogServiceTests
{
    private sealed class RecordingSender : ISystemdStateSender
    {
        private readonly Channel<string> sent = Channel.CreateUnbounded<string>();

        public bool TrySend(string state) => sent.Writer.TryWrite(state);

        public async Task<string> NextAsync()
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await sent.Reader.ReadAsync(deadline.Token);
        }

        public bool TryNext(out string? state) => sent.Reader.TryRead(out state);
    }

    /// <summary>The watchdog under a fake clock; <see cref="TickAsync"/> moves the clock and waits for the decision.</summary>
    private sealed class Harness : IDisposable
    {
        private readonly Channel<LivenessVerdict> checks = Channel.CreateUnbounded<LivenessVerdict>();

        public Harness(TimeSpan interval)
        {
            Liveness = new LoopLiveness(Options, Time);
            Watchdog = new WatchdogService(new WatchdogSettings(interval), Liveness, Sender, Time, NullLogger<WatchdogService>.Instance);
            Watchdog.Checked += verdict => checks.Writer.TryWrite(verdict);
        }

        public FakeTimeProvider Time { get; } = new();

        public LoopLiveness Liveness { get; }

        public RecordingSender Sender { get; } = new();

        public WatchdogService Watchdog { get; }

        public async Task<LivenessVerdict> NextCheckAsync()
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await checks.Reader.ReadAsync(deadline.Token);
        }

        public async Task<LivenessVerdict> TickAsync(TimeSpan by)
        {
            Time.Advance(by);
            return await NextCheckAsync();
        }

        public void Dispose() => Watchdog.Dispose();
    }

    private static readonly ReconcileLoopOptions Options = new() { StuckPassAfter = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Watchdog_LoopAliveThenStuckThenAliveAgain_PingsOnlyWhileAlive()
    {
        using var harness = new Harness(TimeSpan.FromSeconds(20));
        await harness.Watchdog.StartAsync(CancellationToken.None);

        // Alive: a ping at once, then one every half interval (10 s).
        Assert.True((await harness.NextCheckAsync()).Alive);
        Assert.Equal("WATCHDOG=1", await harness.Sender.NextAsync());
        harness.Liveness.PassStarted(harness.Time.GetUtcNow());
        Assert.True((await harness.TickAsync(TimeSpan.FromSeconds(10))).Alive);
        Assert.Equal("WATCHDOG=1", await harness.Sender.NextAsync());

        // The pass runs past stuckPassAfter (30 s): one STATUS= saying why, then silence.
        Assert.True((await harness.TickAsync(TimeSpan.FromSeconds(10))).Alive);
        Assert.Equal("WATCHDOG=1", await harness.Sender.NextAsync());
        Assert.False((await harness.TickAsync(TimeSpan.FromSeconds(15))).Alive);
        Assert.StartsWith("STATUS=unhealthy: pass stuck", await harness.Sender.NextAsync(), StringComparison.Ordinal);
        Assert.False((await harness.TickAsync(TimeSpan.FromSeconds(10))).Alive);
        Assert.False((await harness.TickAsync(TimeSpan.FromSeconds(10))).Alive);
        Assert.False(harness.Sender.TryNext(out var duringStuck), $"sent while stuck: {duringStuck}");

        // The pass returns: pings resume at the next tick.
        harness.Liveness.PassEnded(harness.Time.GetUtcNow());
        Assert.True((await harness.TickAsync(TimeSpan.FromSeconds(10))).Alive);
        Assert.Equal("WATCHDOG=1", await harness.Sender.NextAsync());

        await harness.Watchdog.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Watchdog_LoopExited_NeverPingsAgain()
    {
        using var harness = new Harness(TimeSpan.FromSeconds(2));
        harness.Liveness.Exited();
        await harness.Watchdog.StartAsync(CancellationToken.None);

        Assert.False((await harness.NextCheckAsync()).Alive);
        Assert.StartsWith("STATUS=unhealthy: the reconcile loop has exited", await harness.Sender.NextAsync(), StringComparison.Ordinal);
        for (var tick = 0; tick < 5; tick++)
        {
            Assert.False((await harness.TickAsync(TimeSpan.FromSeconds(1))).Alive);
        }

        await harness.Watchdog.StopAsync(CancellationToken.None);
        Assert.False(harness.Sender.TryNext(out var extra), $"unexpected {extra}");
    }
}
