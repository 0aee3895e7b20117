using Berth.Reconciler.Execution;
using Berth.Reconciler.Git;
using Berth.Reconciler.Reconciliation;

namespace Berth.Reconciler.Metrics;

// Label values are a contract with dashboards and alerts (docs/metrics.md): fixed, snake_case, and
// every one of them is known up front, so each series can start at zero and `increase()` sees the
// first event. Anything that could come from outside (a webhook provider in a URL, an exception
// message) is mapped onto this fixed set, never copied into a label.

/// <summary>Why a commit was not applied (<c>berth_commits_refused_total{reason}</c>).</summary>
public enum CommitRefusalReason
{
    /// <summary>The commit's desired state does not validate (spec errors).</summary>
    Invalid,

    /// <summary>Signatures are required and the commit carries none.</summary>
    Unsigned,

    /// <summary>A signature is present but does not verify against the configured keys.</summary>
    BadSignature,

    /// <summary>The revision failed before and is not retried until it changes or an operator forces it.</summary>
    FailedBefore,

    /// <summary>The plan refused the whole desired state (e.g. it would remove every service of the host).</summary>
    Unsafe,
}

/// <summary>The engine operations counted in <c>berth_docker_api_errors_total{operation}</c>; one per <see cref="Engine.IContainerEngine"/> method.</summary>
public enum EngineOperation
{
    Observe,
    PullImage,
    CreateNetwork,
    RemoveNetwork,
    CreateVolume,
    RemoveVolume,
    CreateContainer,
    StartContainer,
    StopContainer,
    RemoveContainer,
    RenameContainer,
    ConnectNetwork,
    DisconnectNetwork,
    InspectContainer,
    TailLogs,
    RemoveImage,
    UpdateContainer,
}

internal static class MetricLabels
{
    /// <summary>Passes that ended before the reconciler produced a result: git failed, the spec did not load, an exception.</summary>
    public const string PassError = "error";

    /// <summary>Any label value outside the known set (see <see cref="Known"/>).</summary>
    public const string Other = "other";

    public static readonly string[] PassResults =
        [.. Enum.GetValues<ApplyOutcome>().Select(Of), PassError];

    /// <summary>
    /// A service's change in a pass that the engine or a registry cut short: no verdict on the
    /// revision, retried with backoff. Not "failed", so an engine hiccup never fires BerthRolloutStuck.
    /// </summary>
    public const string RolloutInterrupted = "interrupted";

    public static readonly string[] RolloutResults = [.. Enum.GetValues<RolloutResult>().Select(Of), RolloutInterrupted];

    public static readonly string[] CommitRefusalReasons = [.. Enum.GetValues<CommitRefusalReason>().Select(Of)];

    public static readonly string[] GitFailureReasons = [.. Enum.GetValues<GitFailureReason>().Select(Of)];

    public static readonly string[] EngineOperations = [.. Enum.GetValues<EngineOperation>().Select(Of)];

    /// <summary>A fetch that brought a new tip, an idle poll, a failure.</summary>
    public static readonly string[] FetchResults = ["updated", "unchanged", "failed"];

    /// <summary>The providers the daemon has webhook endpoints for.</summary>
    public static readonly string[] WebhookProviders = ["github", "gitlab", "gitea"];

    /// <summary>The daemon's webhook answers: a pass was triggered, the push was for another branch, a ping, a bad signature.</summary>
    public static readonly string[] WebhookResults = ["triggered", "ignored", "pong", "rejected"];

    /// <summary>
    /// <c>berth_passes_total{result}</c>. <see cref="ApplyOutcome.Applied"/> keeps the label it had before
    /// the C# name changed ("converged"): dashboards and alerts select on it.
    /// </summary>
    public static string Of(ApplyOutcome outcome) => outcome == ApplyOutcome.Applied ? "converged" : SnakeCase(outcome.ToString());

    public static string Of(RolloutResult result) => SnakeCase(result.ToString());

    public static string Of(CommitRefusalReason reason) => SnakeCase(reason.ToString());

    public static string Of(GitFailureReason reason) => SnakeCase(reason.ToString());

    public static string Of(EngineOperation operation) => SnakeCase(operation.ToString());

    /// <summary><c>berth_wave_held{reason}</c>: waiting, soaking, failed, source_unavailable.</summary>
    public static readonly string[] WaveHoldReasons = [.. Enum.GetValues<Waves.WaveHoldReason>().Select(Of)];

    public static string Of(Waves.WaveHoldReason reason) => SnakeCase(reason.ToString());

    /// <summary>The value itself when it is one of the known ones, else <see cref="Other"/>: a label never grows with its input.</summary>
    public static string Known(string value, string[] known) =>
        known.Contains(value, StringComparer.Ordinal) ? value : Other;

    /// <summary>"RolledBack" -> "rolled_back", "UpToDate" -> "up_to_date".</summary>
    public static string SnakeCase(string pascalCase)
    {
        var text = new System.Text.StringBuilder(pascalCase.Length + 4);
        for (var index = 0; index < pascalCase.Length; index++)
        {
            var character = pascalCase[index];
            if (char.IsUpper(character) && index > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(character));
        }

        return text.ToString();
    }
}
