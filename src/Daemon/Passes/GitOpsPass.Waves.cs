using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.State;
using Berth.Reconciler.Waves;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Passes;

// The staged-rollout gate of a pass (docs/fleet.md, "Waves").
internal sealed partial class GitOpsPass
{
    /// <summary>The status reason of a pass held by its wave (conditions, `berth status`, the journal).</summary>
    public const string WaveHeldReason = "WaveHeld";

    /// <param name="Held">Why the tip is not applied; null: apply the tip.</param>
    /// <param name="Instead">What to apply meanwhile: the last applied commit, loaded again; null when there is none (a new host) or it cannot be loaded.</param>
    private sealed record WaveOutcome(WaveDecision? Held, LoadedDesiredState? Instead);

    private static readonly WaveOutcome ApplyTip = new(null, null);

    /// <summary>
    /// Asks the gate about the tip, when this host's wave (from the tip's own inventory) has earlier
    /// waves and the tip is not what it already runs. Held: the last applied commit instead. Every
    /// way of not knowing (no source configured, source down, a host that said nothing) holds.
    /// </summary>
    private async Task<WaveOutcome> GateAsync(LoadedDesiredState loaded, CancellationToken cancellationToken)
    {
        var position = loaded.State!.Wave;
        // The daemon's one store: it keeps the record in memory (a new store here read the file on every pass).
        var lastApplied = (await stateStore.LoadAsync(config.Host, cancellationToken).ConfigureAwait(false)).LastAppliedRevision;

        // What already runs is proven on this host: its drift repair never waits for anyone. A
        // newer tip (or a force-push back to an older commit) is a commit like any other: gated.
        if (position is not { IsGated: true } || lastApplied == loaded.Revision)
        {
            metrics.SetWave(position?.Wave, null);
            return ApplyTip;
        }

        var evidence = waveGate is null
            ? null
            : await waveGate.ReportAsync(loaded.Revision!, [.. position.Earlier.Select(member => member.Host)], cancellationToken).ConfigureAwait(false);
        var decision = WaveGate.Decide(position, loaded.Revision!, evidence, timeProvider.GetUtcNow());
        metrics.SetWave(position.Wave, decision.Reason);
        if (decision.Go)
        {
            LogWaveGo(logger, Short(loaded.Revision), decision.Message);
            return ApplyTip;
        }

        LogWaveHeld(logger, Short(loaded.Revision), decision.Message);
        if (lastApplied is null)
        {
            return new WaveOutcome(decision, null);
        }

        var instead = await DesiredStateSource.LoadGitCommitAsync(gitSource, lastApplied, config.Host, LoadOptions(config), config.StateDir, cancellationToken).ConfigureAwait(false);
        if (!instead.Succeeded || instead.HostNotInInventory is not null)
        {
            // E.g. a force-push pruned it from the mirror, or a host env file it needs is gone: what
            // runs keeps running, unrepaired, and the status says so.
            var why = instead.SourceError?.Message ?? instead.HostNotInInventory ?? (instead.SpecErrors.IsEmpty ? "unknown" : instead.SpecErrors[0].ToString());
            return new WaveOutcome(decision with { Message = $"{decision.Message}; last applied commit {Short(lastApplied)} cannot be loaded again ({why})" }, null);
        }

        return new WaveOutcome(decision, instead);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "revision {Revision} passes its wave gate: {Message}")]
    private static partial void LogWaveGo(ILogger logger, string revision, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "revision {Revision} held by its wave gate: {Message}")]
    private static partial void LogWaveHeld(ILogger logger, string revision, string message);
}
