using Berth.Reconciler.Health;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Execution;

/// <summary>
/// The health gates of one service's created, started and restarted containers, each begun as soon as
/// its container started (the engine calls under a start slot, <see cref="StartSlots"/>). None of them
/// has a previous container to go back to, so an "unhealthy" is not final before the gate's deadline
/// (<see cref="HealthGate.WaitAsync"/>, nothingToRollBackTo).
/// </summary>
internal sealed class StartedGates(HealthGate gate, StartSlots slots, CancellationToken cancellationToken) : IAsyncDisposable
{
    private readonly CancellationTokenSource abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    private readonly List<(PlanStep Step, Task<GateEvidence?> Gate)> started = [];
    private bool decided;

    public int Count => started.Count;

    /// <summary>
    /// Runs <paramref name="startContainer"/> under a start slot (its failure goes to the caller), then
    /// gates the container it returns while the caller goes on.
    /// </summary>
    public async Task StartAsync(PlanStep step, ServiceSpec service, Func<Task<string>> startContainer)
    {
        string containerId;
        using (await slots.EnterAsync(cancellationToken).ConfigureAwait(false))
        {
            containerId = await startContainer().ConfigureAwait(false);
        }

        started.Add((step, gate.WaitAsync(containerId, service, service.Update.Monitor, abandon.Token, nothingToRollBackTo: true)));
    }

    /// <summary>Waits for every gate begun; in the order their containers started.</summary>
    public async Task<(IReadOnlyList<PlanStep> Steps, GateEvidence?[] Evidences)> AllDecidedAsync()
    {
        decided = true;
        var evidences = await Task.WhenAll(started.Select(item => item.Gate)).ConfigureAwait(false);
        return ([.. started.Select(item => item.Step)], evidences);
    }

    public async ValueTask DisposeAsync()
    {
        if (!decided && started.Count > 0)
        {
            // A later step of the service failed, or the pass ends: the gates begun are not waited for
            // (as before gates began early, a failed step ends the service at once).
            await abandon.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(started.Select(item => item.Gate)).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // their verdicts are not reported: the step that failed is
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        abandon.Dispose();
    }
}
