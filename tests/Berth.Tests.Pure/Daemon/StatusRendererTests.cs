using Berth.Daemon.Cli;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Daemon;

public sealed class StatusRendererTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Render_FailedRollout_ShowsWhatFailedAndItsEvidence()
    {
        var board = new StatusBoard("web-01", "0.1.0", T0);
        board.RecordPassCompleted(
            new PassRecord(3, PassTrigger.Webhook, T0.AddMinutes(1), TimeSpan.FromSeconds(42), PassOutcome.Stalled, "0123456789abcdef", "web/api: health gate failed, rolled back", "RolloutFailed"),
            [
                new ServiceStatus("web", "api", 2, 2, 2, new RolloutRecord(RolloutState.RolledBack, "0123456789abcdef", T0.AddMinutes(1), "exit code 1\nlast log lines:\n  panic: cannot bind :8080")),
                new ServiceStatus("web", "worker", 1, 1, 1, new RolloutRecord(RolloutState.Succeeded, "fedcba9876543210", T0, "healthy after 3 s")),
            ],
            0, 0, T0.AddMinutes(2));

        var text = StatusRenderer.Render(board.Current);

        Assert.Contains("host web-01", text, StringComparison.Ordinal);
        Assert.Contains("Stalled      True    RolloutFailed (since 2026-11-25 12:02:00Z): web/api: health gate failed, rolled back", text, StringComparison.Ordinal);
        Assert.Contains("web/api                          2/2/2      last rollout RolledBack 0123456789ab at 2026-11-25 12:01:00Z", text, StringComparison.Ordinal);
        Assert.Contains("      |   panic: cannot bind :8080", text, StringComparison.Ordinal);
        Assert.DoesNotContain("healthy after 3 s", text, StringComparison.Ordinal);
        Assert.True(text.Contains("#3    2026-11-25 12:01:00Z  Webhook  Stalled   0123456789ab  42.0 s  web/api: health gate failed, rolled back", StringComparison.Ordinal), text);
    }

    [Fact]
    public void Render_NothingYet_SaysSo()
    {
        var text = StatusRenderer.Render(new StatusBoard("web-01", "0.1.0", T0).Current);

        Assert.Contains("last attempted  none yet", text, StringComparison.Ordinal);
        Assert.Contains("none observed yet", text, StringComparison.Ordinal);
    }

    [Fact]
    public void DescribePass_Failure_NamesTheReason()
    {
        var line = StatusRenderer.DescribePass(new PassRecord(7, PassTrigger.Cli, T0, TimeSpan.FromMilliseconds(1500), PassOutcome.Transient, null, "git fetch: connection refused", "GitFetchFailed"));

        Assert.Equal("pass 7 (Cli) Failed (GitFetchFailed) at no revision, 2026-11-25 12:00:00Z, 1.5 s: git fetch: connection refused", line);
    }
}
