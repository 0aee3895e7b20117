using System.Threading.Channels;
using Berth.Daemon.Loop;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Reconciliation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Berth.Daemon.Notifications;

/// <summary>A sink and the events it wants (empty: every event).</summary>
public sealed record NotificationRoute(INotificationSink Sink, IReadOnlySet<NotificationEvent> Events)
{
    public bool Wants(NotificationEvent notificationEvent) => Events.Count == 0 || Events.Contains(notificationEvent);
}

/// <summary>
/// Turns passes into notifications (<see cref="NotificationEvents"/>), throttles repeats
/// (<see cref="NotificationThrottle"/>) and delivers them in the background: the pass only puts them
/// into a bounded queue (the oldest is dropped when it is full), so a slow or failing sink never fails
/// or delays a deploy. Each sink gets a few retries with backoff on transient errors; sinks do not
/// wait for each other.
/// </summary>
public sealed partial class NotificationDispatcher : BackgroundService, IPassCompletedListener, IApplyObserver
{
    private readonly IReadOnlyList<NotificationRoute> routes;
    private readonly string host;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<NotificationDispatcher> logger;
    private readonly NotificationThrottle throttle;
    private readonly ResiliencePipeline pipeline;
    private readonly Channel<Notification> queue;
    private readonly Lock gate = new();

    // A failure was seen since the last success: the next success is a recovery. Guarded by `gate`.
    private bool failing;

    public NotificationDispatcher(IReadOnlyList<NotificationRoute> routes, string host, TimeSpan repeatInterval, TimeProvider timeProvider, ILogger<NotificationDispatcher> logger, NotificationRetryOptions? retry = null)
    {
        this.routes = routes;
        this.host = host;
        this.timeProvider = timeProvider;
        this.logger = logger;
        throttle = new NotificationThrottle(repeatInterval);
        var options = retry ?? new NotificationRetryOptions();
        queue = Channel.CreateBounded<Notification>(new BoundedChannelOptions(options.Capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NotificationException>(exception => exception.IsTransient),
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    public void OnPassCompleted(PassRecord pass)
    {
        var now = timeProvider.GetUtcNow();
        if (NotificationEvents.Failure(pass, host, now) is { } failure)
        {
            lock (gate)
            {
                failing = true;
            }

            Publish(failure);
        }
        else if (pass.Outcome.Succeeded())
        {
            bool recovered;
            lock (gate)
            {
                recovered = failing;
                failing = false;
            }

            if (recovered)
            {
                Publish(NotificationEvents.Recovered(pass, host, now));
            }
        }
    }

    public void ApplyStarting(string revision)
    {
    }

    public void ApplyFinished(string revision, ApplyResult result)
    {
        foreach (var notification in NotificationEvents.FromApply(revision, result, host, timeProvider.GetUtcNow()))
        {
            Publish(notification);
        }
    }

    /// <summary>Queues a notification for the sinks that want it, unless it repeats one sent within the repeat interval. Never blocks.</summary>
    public void Publish(Notification notification)
    {
        lock (gate)
        {
            if (!throttle.ShouldSend(notification))
            {
                LogThrottled(logger, notification.EventName(), throttle.RepeatInterval.TotalMinutes);
                return;
            }
        }

        queue.Writer.TryWrite(notification);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var notification in queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.WhenAll(routes.Where(route => route.Wants(notification.Event))
                    .Select(route => DeliverAsync(route.Sink, notification, stoppingToken))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what waits is not sent.
        }
    }

    private async Task DeliverAsync(INotificationSink sink, Notification notification, CancellationToken stoppingToken)
    {
        try
        {
            await pipeline.ExecuteAsync(token => new ValueTask(sink.SendAsync(notification, token)), stoppingToken).ConfigureAwait(false);
            LogSent(logger, notification.EventName(), sink.Name);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            LogFailed(logger, notification.EventName(), sink.Name, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "notification {Event} sent to {Sink}")]
    private static partial void LogSent(ILogger logger, string @event, string sink);

    [LoggerMessage(Level = LogLevel.Warning, Message = "notification {Event} not sent to {Sink}: {Message}")]
    private static partial void LogFailed(ILogger logger, string @event, string sink, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "notification {Event} not sent again: the same was sent less than {Minutes:0} min ago")]
    private static partial void LogThrottled(ILogger logger, string @event, double minutes);
}

/// <summary>How notifications are retried and how many may wait.</summary>
public sealed record NotificationRetryOptions
{
    /// <summary>Retries after the first attempt. Default 4.</summary>
    public int MaxRetryAttempts { get; init; } = 4;

    /// <summary>The first retry's delay, doubled each time with jitter. Default 2 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Notifications that may wait; beyond it the oldest is dropped. Default 100.</summary>
    public int Capacity { get; init; } = 100;
}
