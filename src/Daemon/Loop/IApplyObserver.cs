using Berth.Reconciler.Reconciliation;

namespace Berth.Daemon.Loop;

/// <summary>
/// Told when a pass starts applying a commit (after it was fetched and validated, before the engine is
/// touched) and what the apply did (plan notices, executed steps): what the loop's
/// <see cref="IPassCompletedListener"/> does not see. Commit statuses report "pending" from the first,
/// notifications read drift repairs and orphaned volumes from the second. Must be quick and must not
/// throw: the pass calls it inline (<see cref="ApplyObservers"/> logs and swallows what one throws).
/// </summary>
public interface IApplyObserver
{
    void ApplyStarting(string revision);

    void ApplyFinished(string revision, ApplyResult result);
}

/// <summary>Calls every observer; one that throws never fails or delays the pass.</summary>
public sealed partial class ApplyObservers(IEnumerable<IApplyObserver> observers, Microsoft.Extensions.Logging.ILogger<ApplyObservers> logger)
{
    private readonly IReadOnlyList<IApplyObserver> observers = [.. observers];

    public static ApplyObservers None { get; } = new([], Microsoft.Extensions.Logging.Abstractions.NullLogger<ApplyObservers>.Instance);

    public void Starting(string revision) => Each(observer => observer.ApplyStarting(revision));

    public void Finished(string revision, ApplyResult result) => Each(observer => observer.ApplyFinished(revision, result));

    private void Each(Action<IApplyObserver> call)
    {
        foreach (var observer in observers)
        {
            try
            {
                call(observer);
            }
            catch (Exception exception)
            {
                LogObserverThrew(logger, observer.GetType().Name, exception);
            }
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "apply observer {Observer} threw")]
    private static partial void LogObserverThrew(Microsoft.Extensions.Logging.ILogger logger, string observer, Exception exception);
}
