namespace Berth.Reconciler.Health;

public enum GateState
{
    Pending,
    Passed,
    Failed,
}

/// <summary>The outcome of one look at a container under a health gate.</summary>
public sealed record GateVerdict(GateState State, string Reason)
{
    public static GateVerdict Pending(string reason) => new(GateState.Pending, reason);

    public static GateVerdict Passed(string reason) => new(GateState.Passed, reason);

    public static GateVerdict Failed(string reason) => new(GateState.Failed, reason);
}

/// <summary>What a failed gate carries, so an operator can see why without logging into the host.</summary>
public sealed record GateEvidence(string ContainerName, string Reason, int? ExitCode, string? LastHealthOutput, string LastLogLines)
{
    /// <summary>
    /// The evidence with the desired state's secret values masked: the log lines and health-check output
    /// are the application's, which may print its own secrets; the reason may quote an engine error.
    /// </summary>
    public GateEvidence MaskedWith(Spec.SecretValues secrets) => secrets.Count == 0 ? this : this with
    {
        Reason = secrets.Mask(Reason),
        LastHealthOutput = secrets.MaskOrNull(LastHealthOutput),
        LastLogLines = secrets.Mask(LastLogLines),
    };

    public override string ToString()
    {
        var text = $"{ContainerName}: {Reason}";
        if (ExitCode is { } exitCode)
        {
            text += $"; exit code {exitCode}";
        }

        if (!string.IsNullOrWhiteSpace(LastHealthOutput))
        {
            text += $"; last health check output: {LastHealthOutput}";
        }

        if (!string.IsNullOrWhiteSpace(LastLogLines))
        {
            text += $"\n    last log lines:\n      {LastLogLines.ReplaceLineEndings("\n      ")}";
        }

        return text;
    }
}
