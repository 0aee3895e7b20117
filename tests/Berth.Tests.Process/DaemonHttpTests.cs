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
        Assert.Contains("berth_reconcile_passes_total{outcome=\"Converged\"}", metrics, StringComparison.Ordinal);
    }

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
