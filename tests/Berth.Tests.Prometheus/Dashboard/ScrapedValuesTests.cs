using System.Globalization;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Dashboard;

/// <summary>
/// What Prometheus holds after the test host's real activity (deploy, update, drift repair, rollback,
/// skipped failed revision, failed fetch, unsigned commit, engine error): the numbers an operator reads.
/// </summary>
[Collection(ScrapedBerthHostCollection.Name)]
public sealed class ScrapedValuesTests(ScrapedBerthHost host)
{
    [Theory]
    [InlineData("berth_reconcile_passes_total{result=\"converged\"}", 3)]
    [InlineData("berth_reconcile_passes_total{result=\"failed\"}", 1)]
    [InlineData("berth_reconcile_passes_total{result=\"skipped_failed_revision\"}", 1)]
    [InlineData("berth_reconcile_duration_seconds_count", 5)]
    [InlineData("berth_rollouts_total{service=\"web\",result=\"succeeded\"}", 2)]
    [InlineData("berth_rollouts_total{service=\"web\",result=\"rolled_back\"}", 1)]
    [InlineData("berth_rollouts_total{service=\"worker\",result=\"succeeded\"}", 2)]
    [InlineData("berth_rollout_duration_seconds_count{service=\"web\"}", 3)]
    [InlineData("berth_health_gate_failures_total{service=\"web\"}", 1)]
    [InlineData("berth_drift_repairs_total{service=\"worker\"}", 1)]
    [InlineData("berth_drift_repairs_total{service=\"web\"}", 0)]
    [InlineData("berth_service_replicas_desired{service=\"web\"}", 1)]
    [InlineData("berth_service_replicas_running{service=\"web\"}", 1)]
    [InlineData("berth_service_healthy{service=\"web\"}", 1)]
    [InlineData("berth_converged", 0)]
    [InlineData("count(berth_applied_revision_info)", 1)]
    [InlineData("berth_commits_refused_total{reason=\"failed_before\"}", 1)]
    [InlineData("berth_commits_refused_total{reason=\"unsigned\"}", 1)]
    [InlineData("berth_git_fetches_total{result=\"updated\"}", 1)]
    [InlineData("berth_git_fetches_total{result=\"unchanged\"}", 4)]
    [InlineData("berth_git_fetches_total{result=\"failed\"}", 1)]
    [InlineData("sum(berth_git_fetch_failures_total)", 1)]
    [InlineData("berth_docker_api_errors_total{operation=\"start_container\"}", 1)]
    [InlineData("sum(berth_docker_api_errors_total)", 1)]
    [InlineData("berth_webhook_deliveries_total{provider=\"github\",result=\"triggered\"}", 1)]
    public async Task ScrapedSeries_AfterTheRealActivity_HasTheExpectedValue(string expression, double expected)
    {
        var answer = await host.Prometheus.QueryAsync(expression);

        Assert.True(answer.Succeeded, answer.Error);
        var series = Assert.Single(answer.Series);
        Assert.True(expected == series.Values[0],
            $"{expression}: expected {expected.ToString(CultureInfo.InvariantCulture)}, Prometheus has {series.Values[0].ToString(CultureInfo.InvariantCulture)}\nberth activity:\n{host.Activity}");
    }

    [Fact]
    public async Task ScrapedSeries_EveryBerthSeries_CarriesTheHostTargetLabelAndNoContainerId()
    {
        var answer = await host.Prometheus.QueryAsync("{__name__=~\"berth_.+\"}");

        Assert.NotEmpty(answer.Series);
        Assert.All(answer.Series, series => Assert.Equal(host.HostLabel, series.Labels["host"]));
        var labelNames = answer.Series.SelectMany(series => series.Labels.Keys).ToHashSet(StringComparer.Ordinal);
        // image_id is an image's id (berth_service_image_info), never a container's; source is where a pass observed from (berth_observe_total: cache or engine).
        var allowed = new[] { "__name__", "instance", "job", "host", "le", "result", "reason", "stack", "service", "revision", "provider", "operation", "image", "image_id", "digest", "source" };
        Assert.Empty(labelNames.Except(allowed));
    }

    [Fact]
    public async Task ProcessMetrics_OfTheServingProcess_AreScraped()
    {
        var memory = await host.Prometheus.QueryAsync("process_working_set_bytes");
        var cpu = await host.Prometheus.QueryAsync("process_cpu_seconds_total");

        Assert.True(Assert.Single(memory.Series).Values[0] > 0);
        Assert.True(Assert.Single(cpu.Series).Values[0] > 0);
    }
}
