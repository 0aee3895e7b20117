using Berth.Reconciler.Loop;

namespace Berth.Daemon.Passes;

/// <summary>Stands in for the reconcile engine until it is wired in DaemonHost.ConfigureServices.</summary>
internal sealed class PlaceholderPass : IReconcilePass
{
    public const string Summary = "reconcile engine not wired yet";

    public Task<PassResult> RunAsync(PassTrigger trigger, CancellationToken cancellationToken) =>
        Task.FromResult(new PassResult(PassOutcome.Waiting, null, Summary, TimeSpan.Zero, "EngineNotWired"));
}
