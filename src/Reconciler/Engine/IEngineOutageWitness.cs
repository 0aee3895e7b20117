namespace Berth.Reconciler.Engine;

/// <summary>
/// Counts the engine calls that found the engine unreachable or silent (a transient failure without an
/// answer: connection refused, the socket gone, a timeout), whether a retry then succeeded or not.
/// </summary>
/// <remarks>
/// A health gate compares the count at its start and at its verdict. dockerd closes its API at once when it
/// stops, then stops every container (unless live-restore is on: issue #20, checked on 20.10): a gate that
/// polls every 250 ms meets the closed socket before the engine comes back showing the container exited
/// with 143. Without this count the retry that bridges the gap hides the outage, and the exit reads as the
/// new version's crash: the revision would be held as failed for an engine restart.
/// </remarks>
public interface IEngineOutageWitness
{
    /// <summary>Calls that met an outage so far (only ever increases).</summary>
    long OutagesSeen { get; }
}
