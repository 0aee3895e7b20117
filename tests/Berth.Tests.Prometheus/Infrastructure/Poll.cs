namespace Berth.Tests.Infrastructure;

/// <summary>Synchronisation by polling a condition with a deadline, never by sleeping a guessed time.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<string> whatWasAwaited)
    {
        var until = DateTimeOffset.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"not reached within {deadline}: {whatWasAwaited()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
