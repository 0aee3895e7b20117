using System.Diagnostics;
using Berth.Daemon.Fleet;
using Berth.Reconciler.Forge;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Tests.Fleet;

/// <summary>The background sender against the loopback forge: retries, latest wins, never blocks.</summary>
public sealed class CommitStatusSenderTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    // Short real delays: the retries happen on the real clock, as in the daemon, only faster.
    private static readonly CommitStatusSenderOptions FastRetries = new()
    {
        RetryDelay = TimeSpan.FromMilliseconds(50),
        RetryMaxDelay = TimeSpan.FromMilliseconds(400),
        MaxRetryAttempts = 5,
    };

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task Enqueue_ForgeFailsTransiently_RetriesWithBackoffUntilItIsSet(int statusCode)
    {
        await using var forge = LoopbackForge.Start(ForgeKind.GitHub);
        forge.FailNext(3, statusCode);
        using var sender = new CommitStatusSender(forge.CreateProvider(http), TimeProvider.System, NullLogger<CommitStatusSender>.Instance, FastRetries);
        await sender.StartAsync(CancellationToken.None);

        sender.Enqueue(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "converged and healthy on web-1"));

        await forge.WaitUntilAsync(f => f.Latest(Sha).ContainsKey("berth/web-1"), Deadline, "the status after the failures");
        Assert.Equal([$"POST /repos/acme/deploy/statuses/{Sha} {statusCode}", $"POST /repos/acme/deploy/statuses/{Sha} {statusCode}", $"POST /repos/acme/deploy/statuses/{Sha} {statusCode}", $"POST /repos/acme/deploy/statuses/{Sha} 201"], forge.Requests);
        Assert.Empty(forge.Violations);
        await sender.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Enqueue_ForgeRefuses_IsNotRetried()
    {
        await using var forge = LoopbackForge.Start(ForgeKind.Gitea);
        forge.FailNext(1, 404);
        using var sender = new CommitStatusSender(forge.CreateProvider(http), TimeProvider.System, NullLogger<CommitStatusSender>.Instance, FastRetries);
        await sender.StartAsync(CancellationToken.None);

        sender.Enqueue(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "a"));
        sender.Enqueue(new CommitStatus(Sha, "berth/web-2", CommitState.Success, "b"));

        // The second status is sent once the first was given up: one attempt for the refused one.
        await forge.WaitUntilAsync(f => f.Latest(Sha).ContainsKey("berth/web-2"), Deadline, "the second status");
        Assert.Equal(2, forge.Requests.Count);
        Assert.False(forge.Latest(Sha).ContainsKey("berth/web-1"));
        await sender.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Enqueue_ForgeDown_ReturnsAtOnceWhileTheSenderRetries()
    {
        // Nobody listens on the port: every attempt fails (connection refused) and is retried.
        using var closed = new ClosedPort();
        var provider = new CountingProvider(new ForgeRepository(ForgeKind.Gitea, new Uri($"http://127.0.0.1:{closed.Port}/api/v1/"), "acme/deploy").CreateProvider(http, () => "t"));
        using var sender = new CommitStatusSender(provider, TimeProvider.System, NullLogger<CommitStatusSender>.Instance,
            FastRetries with { MaxRetryAttempts = 1000, RetryMaxDelay = TimeSpan.FromMilliseconds(100) });
        await sender.StartAsync(CancellationToken.None);

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            sender.Enqueue(new CommitStatus(Sha, $"berth/web-{i}", CommitState.Pending, "applying"));
        }

        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(200), $"enqueueing took {watch.Elapsed.TotalMilliseconds} ms");
        await Poll.UntilAsync(() => provider.Attempts >= 3, Deadline, "three attempts");
        Assert.True(sender.Waiting > 0);
        await sender.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Enqueue_NewerStatusWhileAnOlderIsRetried_TheNewerWinsAndTheOlderIsNeverSet()
    {
        await using var forge = LoopbackForge.Start(ForgeKind.GitLab);
        // Enough failures that "pending" is still being retried when "success" arrives.
        forge.FailNext(2, 503);
        var provider = new CountingProvider(forge.CreateProvider(http));
        using var sender = new CommitStatusSender(provider, TimeProvider.System, NullLogger<CommitStatusSender>.Instance,
            FastRetries with { RetryDelay = TimeSpan.FromMilliseconds(300), RetryMaxDelay = TimeSpan.FromMilliseconds(300) });
        await sender.StartAsync(CancellationToken.None);

        sender.Enqueue(new CommitStatus(Sha, "berth/web-1", CommitState.Pending, "applying on web-1"));
        await Poll.UntilAsync(() => provider.Attempts >= 1, Deadline, "the first attempt");
        sender.Enqueue(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "converged and healthy on web-1"));

        // One worker sends in order: once a later status of another context is set, the retries of
        // "pending" are over (given up as superseded, or they would show in the history before it).
        sender.Enqueue(new CommitStatus(Sha, "berth/web-2", CommitState.Success, "converged and healthy on web-2"));
        await forge.WaitUntilAsync(f => f.Latest(Sha).ContainsKey("berth/web-2"), Deadline, "the later status");
        Assert.Equal(["success"], forge.StatesOf(Sha, "berth/web-1"));
        Assert.Empty(forge.Violations);
        await sender.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Enqueue_MoreThanTheCapacity_DropsTheOldest()
    {
        using var closed = new ClosedPort();
        var provider = new CountingProvider(new ForgeRepository(ForgeKind.Gitea, new Uri($"http://127.0.0.1:{closed.Port}/api/v1/"), "acme/deploy").CreateProvider(http, () => "t"));
        // Not started: everything stays queued.
        using var sender = new CommitStatusSender(provider, TimeProvider.System, NullLogger<CommitStatusSender>.Instance, FastRetries with { Capacity = 3 });

        for (var i = 0; i < 5; i++)
        {
            sender.Enqueue(new CommitStatus(Sha, $"berth/web-{i}", CommitState.Pending, "applying"));
        }

        Assert.Equal(3, sender.Waiting);
    }
}

internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"never saw {what} within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(20);
        }
    }
}

/// <summary>Counts attempts of the provider it wraps.</summary>
internal sealed class CountingProvider(ICommitStatusProvider inner) : ICommitStatusProvider
{
    private int attempts;

    public int Attempts => Volatile.Read(ref attempts);

    public string Name => inner.Name;

    public Task SetAsync(CommitStatus status, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref attempts);
        return inner.SetAsync(status, cancellationToken);
    }

    public Task<IReadOnlyList<CommitStatus>> ListAsync(string sha, CancellationToken cancellationToken) => inner.ListAsync(sha, cancellationToken);
}
