namespace Berth.Reconciler.Loop;

/// <summary>What `/status` and `berth status` show. Thread-safe; <see cref="Current"/> is an immutable snapshot.</summary>
public interface IStatusSource
{
    StatusSnapshot Current { get; }
}
