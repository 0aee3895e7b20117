using System.Net;
using Berth.Reconciler.Loop;
using Berth.Tests.Process.Infrastructure;

namespace Berth.Tests.Process;

public sealed class DaemonHttpTests
{
    [Fact]
    public async Task Daemon_Started_HealthzReadyzStatusAndMetricsAnswer()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup());
        await daemon.WaitUntilHealthyAsync();

        var status = await Deadline.UntilAsync(async () =>
        {
            var snapshot = await daemon.GetStatusAsync();
            return snapshot.LastAttempted is null ? null : snapshot;
        }, "the startup pass in /status");

        Assert.Equal("process-test", status.Host);
        Assert.Equal(PassTrigger.Startup, status.History[^1].Trigger);
        Assert.Equal("0123456789abcdef", status.LastApplied!.Revision);
        Assert.Equal(ConditionStatus.True, status.Conditions.Single(condition => condition.Type == ConditionTypes.Ready).Status);

        using var ready = await daemon.Http.GetAsync(new Uri("readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var metrics = await daemon.Http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.Contains("berth_reconcile_passes_total{result=\"converged\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("berth_reconcile_pass_exceptions_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_RestartedOnAStalledTip_StatusShowsTheLastAppliedRevisionFromTheStateFile()
    {
        var appliedAt = new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
        var saved = Berth.Reconciler.State.AppliedState.Empty("process-test")
            .WithHistory(new Berth.Reconciler.State.HistoryEntry(appliedAt, "0123456789abcdef", "converged", "converged")) with
        {
            LastAppliedRevision = "0123456789abcdef",
            LastAppliedAt = appliedAt,
            LastAttemptedRevision = "0123456789abcdef",
            LastAttemptedAt = appliedAt,
        };
        // The tip is invalid: the first pass of the new process stalls and applies nothing.
        const string InvalidTip = """{"outcome":"Stalled","revision":"badc0ffee0ddf00d","summary":"commit badc0ffee0dd is invalid","reason":"InvalidCommit"}""";
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { PassScript = InvalidTip, SavedState = saved });
        await daemon.WaitUntilHealthyAsync();

        var status = await Deadline.UntilAsync(async () =>
        {
            var current = await daemon.GetStatusAsync();
            return current.LastAttempted is { Number: > 0 } ? current : null;
        }, "the first pass of the restarted daemon");

        Assert.Equal(new AppliedRevision("0123456789abcdef", appliedAt), status.LastApplied);
        Assert.Equal(("badc0ffee0ddf00d", "InvalidCommit"), (status.LastAttempted!.Revision, status.LastAttempted.Reason));
        Assert.Equal([(1L, PassTrigger.Startup), (0L, PassTrigger.Restored)], status.History.Select(pass => (pass.Number, pass.Trigger)));

        var (exitCode, stdout, _) = await DaemonProcess.RunCliAsync("status", "--url", daemon.BaseUrl.ToString());
        Assert.Equal(0, exitCode);
        Assert.Contains("last applied    0123456789abcdef at 2026-11-24 08:00:00Z", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_PassThrows_CountedAsAnErrorPassWithItsDuration()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { PassScript = """{"outcome":"Converged","throw":"boom"}""" });
        await daemon.WaitUntilHealthyAsync();

        // Every pass throws (retried with backoff), and a scrape may fall between two counters of one
        // pass: poll until one scrape shows a thrown pass in all three (without the fix it never does).
        var series = await Deadline.UntilAsync(async () =>
        {
            var scraped = Series(await daemon.Http.GetStringAsync(new Uri("metrics", UriKind.Relative)));
            var exceptions = scraped.GetValueOrDefault("berth_reconcile_pass_exceptions_total");
            return exceptions >= 1
                && scraped.GetValueOrDefault("berth_reconcile_passes_total{result=\"error\"}") == exceptions
                && scraped.GetValueOrDefault("berth_reconcile_duration_seconds_count") == exceptions ? scraped : null;
        }, "a thrown pass counted as an error pass and in the duration histogram");

        Assert.Equal(0, series["berth_reconcile_passes_total{result=\"converged\"}"]);
    }

    /// <summary>Prometheus text: series (name plus labels) to value.</summary>
    private static Dictionary<string, double> Series(string text) =>
        text.Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToDictionary(line => line[..line.LastIndexOf(' ')], line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Readyz_HostStalledByAFailedRollout_Answers503WithTheReason()
    {
        await using var daemon = await DaemonProcess.StartAsync(new DaemonSetup { PassScript = PassScripts.FailedRollout });
        await daemon.WaitUntilHealthyAsync();

        var body = await Deadline.UntilAsync(async () =>
        {
            using var response = await daemon.Http.GetAsync(new Uri("readyz", UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.ServiceUnavailable && text.Contains("stalled", StringComparison.Ordinal) ? text : null;
        }, "/readyz to report the stall");

        Assert.Contains("RolloutFailed", body, StringComparison.Ordinal);
    }
}
