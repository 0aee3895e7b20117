namespace Berth.Tests.Process.Infrastructure;

/// <summary>Poll-until with a deadline: the real process answers in its own time, tests never sleep a fixed amount.</summary>
internal static class Deadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? within = null)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? Default);
        Exception? last = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
            {
                last = exception;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        throw new TimeoutException($"timed out waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }
}
