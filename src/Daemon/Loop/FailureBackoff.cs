namespace Berth.Daemon.Loop;

/// <summary>
/// Delay before the next pass after <c>n</c> consecutive failures: exponential with factor 2 from
/// <see cref="ReconcileLoopOptions.RetryInitialDelay"/>, capped at <see cref="ReconcileLoopOptions.RetryMaxDelay"/>,
/// then reduced by up to 20 % at random so hosts that failed together (a git server outage) do not retry
/// together. A small calculator rather than a Polly retry pipeline: the loop must stay responsive to
/// webhooks and `berth sync` between retries, and Polly's retry would hold the single-flight slot while it waits.
/// Polly belongs inside the pass, around each safe call (fetch, list, inspect).
/// </summary>
public static class FailureBackoff
{
    /// <param name="consecutiveFailures">1 after the first failure.</param>
    /// <param name="random01">A random number in [0, 1).</param>
    public static TimeSpan Delay(ReconcileLoopOptions options, int consecutiveFailures, double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(consecutiveFailures, 1);
        // 2^(n-1), computed in double and capped before converting so that n = 1000 cannot overflow.
        var exponent = Math.Min(consecutiveFailures - 1, 62);
        var uncapped = options.RetryInitialDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(uncapped, options.RetryMaxDelay.TotalMilliseconds);
        var jittered = capped * (1 - (0.2 * Math.Clamp(random01, 0, 1)));
        return TimeSpan.FromMilliseconds(jittered);
    }
}
