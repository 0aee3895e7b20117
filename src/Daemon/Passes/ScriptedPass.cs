using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Daemon.Loop;
using Berth.Reconciler.Loop;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Passes;

/// <summary>
/// A test hook for the process tests, which run the real `berth daemon` without git or Docker: when
/// BERTH_TEST_PASS_SCRIPT names a JSON file, every pass reads it and returns what it says (outcome,
/// revision, per-service status with rollout evidence), optionally after a delay that can ignore
/// cancellation (a hung pass, for the watchdog). Never set in production; it replaces the real pass.
/// </summary>
internal sealed partial class ScriptedPass : IReconcilePass
{
    public const string EnvironmentVariable = "BERTH_TEST_PASS_SCRIPT";

    private readonly string scriptFile;
    private readonly TimeProvider timeProvider;
    private readonly ApplyObservers observers;

    public ScriptedPass(string scriptFile, TimeProvider timeProvider, ILogger<ScriptedPass> logger, ApplyObservers? observers = null)
    {
        this.observers = observers ?? ApplyObservers.None;
        this.scriptFile = scriptFile;
        this.timeProvider = timeProvider;
        // Loud on purpose: a stray variable in a unit file would silently stop all reconciling.
        LogScripted(logger, EnvironmentVariable, scriptFile);
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning,
        Message = "{Variable} is set: passes are scripted from {ScriptFile} (a test hook); the reconcile engine is NOT used")]
    private static partial void LogScripted(ILogger logger, string variable, string scriptFile);

    public async Task<PassResult> RunAsync(PassTrigger trigger, CancellationToken cancellationToken)
    {
        var json = await File.ReadAllBytesAsync(scriptFile, cancellationToken).ConfigureAwait(false);
        var script = JsonSerializer.Deserialize(json, ScriptedPassJsonContext.Default.PassScript)
            ?? throw new InvalidDataException($"{scriptFile}: empty pass script");
        if (script.Throw is { } message)
        {
            throw new InvalidOperationException(message);
        }

        // As the real pass does once the commit is loaded and valid: commit statuses say "pending".
        if (script.Revision is { } revision && script.Outcome != PassOutcome.Transient && script.Reason is not ("InvalidCommit" or "HostNotInInventory"))
        {
            observers.Starting(revision);
        }

        if (script.DelayMilliseconds > 0)
        {
            var delayToken = script.IgnoreCancellation ? CancellationToken.None : cancellationToken;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(script.DelayMilliseconds), timeProvider, delayToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (script.FinishStepMilliseconds > 0)
            {
                // What a real pass does on SIGTERM: finish the step in progress, then stop between steps.
                await Task.Delay(TimeSpan.FromMilliseconds(script.FinishStepMilliseconds), timeProvider, CancellationToken.None).ConfigureAwait(false);
                return new PassResult(PassOutcome.Transient, script.Revision, "stopped between steps: the daemon is stopping", TimeSpan.Zero, "Interrupted");
            }
        }

        return new PassResult(
            script.Outcome,
            script.Revision,
            script.Summary,
            TimeSpan.Zero,
            script.Reason,
            script.Services is null ? default : [.. script.Services]);
    }
}

/// <summary>The file BERTH_TEST_PASS_SCRIPT names.</summary>
internal sealed record PassScript(
    PassOutcome Outcome,
    string? Revision,
    string Summary,
    string? Reason = null,
    IReadOnlyList<ServiceStatus>? Services = null,
    int DelayMilliseconds = 0,
    bool IgnoreCancellation = false,
    int FinishStepMilliseconds = 0,
    string? Throw = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PassScript))]
internal sealed partial class ScriptedPassJsonContext : JsonSerializerContext;
