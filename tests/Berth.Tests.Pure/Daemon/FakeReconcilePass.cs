using System.Threading.Channels;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Daemon;

/// <summary>
/// A pass the test drives by hand: each call shows up on <see cref="Calls"/> and returns when the test
/// completes it. Counts how many calls run at once, to check single-flight.
/// </summary>
internal sealed class FakeReconcilePass : IReconcilePass
{
    private readonly Channel<PassCall> calls = Channel.CreateUnbounded<PassCall>();
    private int running;

    public int MaxConcurrent { get; private set; }

    public int CallCount { get; private set; }

    public Task<PassResult> RunAsync(PassTrigger trigger, CancellationToken cancellationToken) =>
        RunAsync(trigger, PassOptions.Default, cancellationToken);

    public async Task<PassResult> RunAsync(PassTrigger trigger, PassOptions options, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref running);
        MaxConcurrent = Math.Max(MaxConcurrent, now);
        CallCount++;
        try
        {
            var call = new PassCall(trigger, cancellationToken) { Options = options };
            calls.Writer.TryWrite(call);
            return await call.Result.Task.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref running);
        }
    }

    /// <summary>The next call, failing the test after a deadline (the loop should have called by then).</summary>
    public async Task<PassCall> NextCallAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await calls.Reader.ReadAsync(deadline.Token);
    }

    public bool TryGetCall(out PassCall? call) => calls.Reader.TryRead(out call);
}

internal sealed class PassCall(PassTrigger trigger, CancellationToken cancellationToken)
{
    public PassTrigger Trigger { get; } = trigger;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public PassOptions Options { get; init; } = PassOptions.Default;

    public TaskCompletionSource<PassResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Complete(PassOutcome outcome, string? revision = "abc123", string summary = "done") =>
        Result.SetResult(new PassResult(outcome, revision, summary, TimeSpan.Zero));
}
