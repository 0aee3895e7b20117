using System.Collections.Immutable;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Loop;

/// <summary>
/// The single-flight reconcile loop: a pass at start, then one per interval (with jitter), or sooner
/// when a webhook or `berth sync` asks. Passes never overlap; requests during a pass coalesce into one
/// follow-up pass. A throwing pass is logged, counted and treated as a transient failure; consecutive
/// failures back off exponentially (<see cref="FailureBackoff"/>), and the first pass that does not fail
/// resets it.
/// </summary>
public sealed class ReconcileLoop : BackgroundService, IPassTrigger
{
    private readonly IReconcilePass pass;
    private readonly StatusBoard statusBoard;
    private readonly LoopLiveness liveness;
    private readonly ReconcileLoopOptions options;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<ReconcileLoop> logger;
    private readonly IReadOnlyList<IPassCompletedListener> listeners;
    private readonly Func<double> random01;
    private readonly IHostApplicationLifetime? lifetime;
    private readonly BerthMetrics? metrics;

    // Requests between two pass starts. Guarded by `gate`. `requestedTrigger` non-null means "a pass is
    // wanted as soon as the loop is free"; `waiters` get the result of the next pass that starts.
    private readonly Lock gate = new();
    private PassTrigger? requestedTrigger;
    private bool retryFailedRequested;
    private List<TaskCompletionSource<PassRecord>> waiters = [];
    private TaskCompletionSource wake = NewSignal();
    private bool stopped;

    /// <summary>
    /// Raised each time the idle loop has armed its timer (tests advance a fake clock only after it, so
    /// the advance cannot fall between reading the clock and arming the timer). Argument: the due time.
    /// </summary>
    internal event Action<DateTimeOffset>? Idle;

    private long passNumber;
    private int consecutiveFailures;
    private long passExceptions;

    public ReconcileLoop(
        IReconcilePass pass,
        StatusBoard statusBoard,
        LoopLiveness liveness,
        ReconcileLoopOptions options,
        TimeProvider timeProvider,
        ILogger<ReconcileLoop> logger,
        IEnumerable<IPassCompletedListener> listeners,
        IHostApplicationLifetime? lifetime = null,
        Func<double>? random01 = null,
        BerthMetrics? metrics = null)
    {
        this.lifetime = lifetime;
        this.metrics = metrics;
        this.pass = pass;
        LoopMetrics.PassExceptions.Inc(0); // exported at 0 from the first scrape, not from the first exception
        this.statusBoard = statusBoard;
        this.liveness = liveness;
        this.options = options;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.listeners = [.. listeners];
        this.random01 = random01 ?? Random.Shared.NextDouble;
    }

    /// <inheritdoc />
    // 1 while a pass runs (read by FrontWatcher from its own thread).
    private int passRunning;

    public bool PassRunning => Volatile.Read(ref passRunning) == 1;

    public void Request(PassTrigger trigger)
    {
        lock (gate)
        {
            requestedTrigger ??= trigger;
            wake.TrySetResult();
        }
    }

    /// <inheritdoc />
    public Task<PassRecord> RequestAndWaitAsync(PassTrigger trigger, CancellationToken cancellationToken) =>
        RequestAndWaitAsync(trigger, PassOptions.Default, cancellationToken);

    /// <inheritdoc />
    public Task<PassRecord> RequestAndWaitAsync(PassTrigger trigger, PassOptions options, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<PassRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            if (stopped)
            {
                waiter.SetCanceled(CancellationToken.None);
                return waiter.Task;
            }

            // Added before the next pass start takes the list: the caller gets the result of a pass that
            // started after its request, never the one already running (which may predate its commit).
            waiters.Add(waiter);
            requestedTrigger ??= trigger;
            retryFailedRequested |= options.RetryFailed;
            wake.TrySetResult();
        }

        // Giving up waiting (client gone) does not withdraw the request: the pass still runs.
        return waiter.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitUntilHostStartedAsync(stoppingToken).ConfigureAwait(false);
            var trigger = PassTrigger.Startup;
            while (!stoppingToken.IsCancellationRequested)
            {
                var record = await RunOnePassAsync(trigger, stoppingToken).ConfigureAwait(false);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                var dueAt = ScheduleNext(record);
                trigger = await WaitForNextPassAsync(dueAt, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping while waiting: the normal way out.
        }
        catch (Exception exception)
        {
            // Only a bug in the loop itself gets here (pass exceptions are caught per pass). Do not take
            // the host down silently: report the loop dead, so /healthz fails and the watchdog lets
            // systemd restart the daemon.
            LoopLog.LoopFailed(logger, exception);
        }
        finally
        {
            liveness.Exited();
            CancelWaiters();
            LoopLog.LoopStopped(logger);
        }
    }

    /// <summary>
    /// The first pass waits until every hosted service has started: if the HTTP listener cannot bind
    /// (port taken), the daemon exits before it has touched a container.
    /// </summary>
    private async Task WaitUntilHostStartedAsync(CancellationToken stoppingToken)
    {
        if (lifetime is null || lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels the stopping token, then waits for the loop, at most until the host's shutdown timeout
    /// (reconcile.shutdownTimeout) cancels <paramref name="cancellationToken"/>. A pass that ignores
    /// cancellation is abandoned then: the process exits, and the next start re-plans from what runs
    /// (deterministic names make a half-done step visible to the planner).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (ExecuteTask is { IsCompleted: false })
        {
            LoopLog.PassAbandoned(logger, passNumber, options.ShutdownTimeout.TotalSeconds);
        }
    }

    private async Task<PassRecord> RunOnePassAsync(PassTrigger trigger, CancellationToken stoppingToken)
    {
        List<TaskCompletionSource<PassRecord>> passWaiters;
        PassOptions passOptions;
        lock (gate)
        {
            // Everything requested so far is served by this pass; requests from now on coalesce into the next.
            passWaiters = waiters;
            waiters = [];
            requestedTrigger = null;
            passOptions = retryFailedRequested ? new PassOptions(RetryFailed: true) : PassOptions.Default;
            retryFailedRequested = false;
            wake = NewSignal();
        }

        var number = ++passNumber;
        var startedAt = timeProvider.GetUtcNow();
        var startTimestamp = timeProvider.GetTimestamp();
        liveness.PassStarted(startedAt);
        statusBoard.RecordPassStarted(trigger, startedAt);

        PassResult result;
        var threw = false;
        Volatile.Write(ref passRunning, 1);
        try
        {
            // Task.Run: a pass that blocks before its first await (LibGit2Sharp has no async API) must not
            // block the loop's caller; the watchdog notices if it never returns.
            result = await Task.Run(() => pass.RunAsync(trigger, passOptions, stoppingToken), CancellationToken.None).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the reconcile pass returned null");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            result = new PassResult(PassOutcome.Transient, null, "interrupted: the daemon is stopping", TimeSpan.Zero, "Interrupted");
        }
        catch (Exception exception)
        {
            threw = true;
            passExceptions++;
            LoopMetrics.PassExceptions.Inc();
            LoopLog.PassThrew(logger, number, trigger, exception);
            result = new PassResult(PassOutcome.Transient, null, $"the pass threw {exception.GetType().Name}: {exception.Message}", TimeSpan.Zero, "PassException");
        }
        finally
        {
            Volatile.Write(ref passRunning, 0);
        }

        var duration = timeProvider.GetElapsedTime(startTimestamp);
        if (threw)
        {
            // The pass never got to record itself: count it as an `error` pass with its duration
            // (docs/metrics.md), next to the exceptions counter.
            metrics?.RecordPassError(duration);
        }

        consecutiveFailures = result.Outcome == PassOutcome.Transient ? consecutiveFailures + 1 : 0;
        var record = new PassRecord(
            number,
            trigger,
            startedAt,
            duration,
            result.Outcome,
            result.Revision,
            result.Summary,
            result.Reason ?? StatusConditions.DefaultReason(result.Outcome));

        var endedAt = timeProvider.GetUtcNow();
        statusBoard.RecordPassCompleted(record, result.Services, consecutiveFailures, passExceptions, endedAt);
        liveness.PassEnded(endedAt);
        LogPass(record, result.Observation, result.CommitLoad);
        NotifyListeners(record);

        foreach (var waiter in passWaiters)
        {
            waiter.TrySetResult(record);
        }

        return record;
    }

    private DateTimeOffset ScheduleNext(PassRecord record)
    {
        TimeSpan delay;
        string why;
        if (record.Outcome == PassOutcome.Transient)
        {
            delay = FailureBackoff.Delay(options, consecutiveFailures, random01());
            why = $"retry after {consecutiveFailures} consecutive failure(s)";
        }
        else
        {
            delay = options.Interval + (options.Jitter * random01());
            why = "poll interval";
        }

        var dueAt = timeProvider.GetUtcNow() + delay;
        statusBoard.RecordNextPassDue(dueAt);
        LoopLog.NextPassScheduled(logger, delay.TotalSeconds, why);
        return dueAt;
    }

    /// <summary>Waits until <paramref name="dueAt"/> or a request, heartbeating meanwhile; returns the trigger of the next pass.</summary>
    private async Task<PassTrigger> WaitForNextPassAsync(DateTimeOffset dueAt, CancellationToken stoppingToken)
    {
        while (true)
        {
            Task wakeTask;
            lock (gate)
            {
                if (requestedTrigger is { } requested)
                {
                    return requested;
                }

                wakeTask = wake.Task;
            }

            var now = timeProvider.GetUtcNow();
            liveness.Heartbeat(now);
            if (now >= dueAt)
            {
                return PassTrigger.Timer;
            }

            var wait = dueAt - now < options.HeartbeatPeriod ? dueAt - now : options.HeartbeatPeriod;
            using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wait, timeProvider, delayCancellation.Token);
            Idle?.Invoke(dueAt);
            await Task.WhenAny(delay, wakeTask).ConfigureAwait(false);
            // Stop the timer of a delay that lost the race; a cancelled task raises no unobserved exception.
            await delayCancellation.CancelAsync().ConfigureAwait(false);
            stoppingToken.ThrowIfCancellationRequested();
        }
    }

    private void CancelWaiters()
    {
        List<TaskCompletionSource<PassRecord>> remaining;
        lock (gate)
        {
            stopped = true;
            remaining = waiters;
            waiters = [];
        }

        foreach (var waiter in remaining)
        {
            waiter.TrySetCanceled();
        }
    }

    private void LogPass(PassRecord record, string? observation, string? commitLoad)
    {
        var observed = LoopLog.Observation(observation, commitLoad);
        var revision = record.Revision ?? "(none)";
        var durationMs = (long)record.Duration.TotalMilliseconds;
        if (record.Outcome.Succeeded())
        {
            LoopLog.PassSucceeded(logger, record.Number, record.Trigger, record.Outcome.WireName(), revision, durationMs, observed, record.Summary);
        }
        else
        {
            LoopLog.PassNotSucceeded(logger, record.Number, record.Trigger, record.Outcome.WireName(), record.Reason, revision, durationMs, observed, record.Summary);
        }
    }

    private void NotifyListeners(PassRecord record)
    {
        foreach (var listener in listeners)
        {
            try
            {
                listener.OnPassCompleted(record);
            }
            catch (Exception exception)
            {
                LoopLog.ListenerThrew(logger, listener.GetType().Name, exception);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
