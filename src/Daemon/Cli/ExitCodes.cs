namespace Berth.Daemon.Cli;

/// <summary>Exit codes shared by every subcommand; `berth plan` follows `terraform plan -detailed-exitcode`.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>An error: invalid input, engine unreachable, a failed rollout, a plan with problems, or not implemented yet.</summary>
    public const int Error = 1;
    /// <summary>`berth plan` only: the plan has changes pending.</summary>
    public const int ChangesPending = 2;
}
