namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>Poll-until with a deadline: systemd and berth answer in their own time; tests never sleep a fixed amount.</summary>
public static class Deadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="probe"/> until it returns non-null; on timeout, the last observation is in the message.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<(T? Value, string Observed)>> probe, string what, TimeSpan? within = null)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? Default);
        var observed = "nothing observed yet";
        while (true)
        {
            var (value, seen) = await probe();
            observed = seen;
            if (value is not null)
            {
                return value;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new TimeoutException($"timed out after {(within ?? Default).TotalSeconds:F0} s waiting for {what}; last observed: {observed}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }
}
