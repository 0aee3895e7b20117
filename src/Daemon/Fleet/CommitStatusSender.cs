using Berth.Reconciler.Forge;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Berth.Daemon.Fleet;

/// <summary>
/// Sends commit statuses in the background, so that a slow, failing or unreachable forge never fails
/// or delays a pass: <see cref="Enqueue"/> only stores the status and returns. One status per
/// (commit, context) waits at a time: a newer one replaces a queued one, and stops the retries of one
/// being sent (the latest state wins; a stale "pending" must never land after "success"). The queue
/// holds at most <see cref="CommitStatusSenderOptions.Capacity"/> commits and contexts; beyond that the
/// oldest is dropped (and logged). Transient errors (no answer, 5xx, 429) are retried with exponential
/// backoff and jitter; a refusal (401, 404, 422) is logged once and dropped.
/// </summary>
public sealed partial class CommitStatusSender : BackgroundService
{
    private readonly ICommitStatusProvider provider;
    private readonly ILogger<CommitStatusSender> logger;
    private readonly CommitStatusSenderOptions options;
    private readonly ResiliencePipeline pipeline;

    // Guarded by `gate`: the newest status per key, its version, and the keys in arrival order.
    private readonly Lock gate = new();
    private readonly Dictionary<(string Sha, string Context), (CommitStatus Status, long Version)> waiting = [];
    private readonly LinkedList<(string Sha, string Context)> order = new();
    private readonly Dictionary<(string Sha, string Context), long> latestVersion = [];
    private long nextVersion;
    private TaskCompletionSource wake = NewSignal();

    public CommitStatusSender(ICommitStatusProvider provider, TimeProvider timeProvider, ILogger<CommitStatusSender> logger, CommitStatusSenderOptions? options = null)
    {
        this.provider = provider;
        this.logger = logger;
        this.options = options ?? new CommitStatusSenderOptions();
        pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ForgeApiException>(exception => exception.IsTransient),
                MaxRetryAttempts = this.options.MaxRetryAttempts,
                Delay = this.options.RetryDelay,
                MaxDelay = this.options.RetryMaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = arguments =>
                {
                    LogRetrying(logger, provider.Name, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalSeconds, arguments.Outcome.Exception?.Message ?? "");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>The provider statuses go to (the wave gate reads back through it).</summary>
    public ICommitStatusProvider Provider => provider;

    /// <summary>Queues <paramref name="status"/>; never blocks and never throws.</summary>
    public void Enqueue(CommitStatus status)
    {
        var key = (status.Sha, status.Context);
        lock (gate)
        {
            var version = ++nextVersion;
            latestVersion[key] = version;
            if (!waiting.ContainsKey(key))
            {
                order.AddLast(key);
            }

            waiting[key] = (status, version);
            if (order.Count > options.Capacity)
            {
                var dropped = order.First!.Value;
                order.RemoveFirst();
                waiting.Remove(dropped);
                LogDropped(logger, dropped.Context, dropped.Sha, options.Capacity);
            }

            wake.TrySetResult();
        }
    }

    /// <summary>How many statuses wait to be sent (not counting one being sent).</summary>
    public int Waiting
    {
        get
        {
            lock (gate)
            {
                return waiting.Count;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Task signal;
            (CommitStatus Status, long Version)? next = null;
            lock (gate)
            {
                if (order.First is { } first)
                {
                    order.RemoveFirst();
                    next = waiting[first.Value];
                    waiting.Remove(first.Value);
                }
                else
                {
                    wake = NewSignal();
                }

                signal = wake.Task;
            }

            if (next is { } item)
            {
                await SendAsync(item.Status, item.Version, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    await signal.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task SendAsync(CommitStatus status, long version, CancellationToken stoppingToken)
    {
        try
        {
            var sent = await pipeline.ExecuteAsync(async token =>
            {
                // A newer status for this commit and context arrived while this one waited for a retry: it
                // is queued and says what is true now; this one would only overwrite it with the past.
                if (IsSuperseded(status, version))
                {
                    return false;
                }

                await provider.SetAsync(status, token).ConfigureAwait(false);
                return true;
            }, stoppingToken).ConfigureAwait(false);
            if (sent)
            {
                LogSent(logger, provider.Name, status.Context, status.State.ToString(), status.Sha);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what waits is lost; the next start reports the commit again.
        }
        catch (Exception exception)
        {
            LogFailed(logger, provider.Name, status.Context, status.State.ToString(), status.Sha, exception.Message);
        }
    }

    private bool IsSuperseded(CommitStatus status, long version)
    {
        lock (gate)
        {
            return latestVersion.TryGetValue((status.Sha, status.Context), out var latest) && latest != version;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Information, Message = "commit status {Context}={State} set on {Sha} ({Provider})")]
    private static partial void LogSent(ILogger logger, string provider, string context, string state, string sha);

    [LoggerMessage(Level = LogLevel.Warning, Message = "commit status {Context}={State} on {Sha} not set ({Provider}): {Message}")]
    private static partial void LogFailed(ILogger logger, string provider, string context, string state, string sha, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Provider}: attempt {Attempt} failed, retrying in {DelaySeconds:0.0} s: {Message}")]
    private static partial void LogRetrying(ILogger logger, string provider, int attempt, double delaySeconds, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "commit status {Context} on {Sha} dropped: more than {Capacity} statuses wait for the forge")]
    private static partial void LogDropped(ILogger logger, string context, string sha, int capacity);
}

/// <summary>How the <see cref="CommitStatusSender"/> retries and how much it keeps.</summary>
public sealed record CommitStatusSenderOptions
{
    /// <summary>Retries after the first attempt. Default 8 (with the delays below about 10 minutes in all).</summary>
    public int MaxRetryAttempts { get; init; } = 8;

    /// <summary>The first retry's delay; doubled each time, with jitter. Default 2 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest delay between two attempts. Default 5 min.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How many (commit, context) statuses may wait; beyond it the oldest is dropped. Default 100.</summary>
    public int Capacity { get; init; } = 100;
}
