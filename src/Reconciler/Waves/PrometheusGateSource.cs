using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Berth.Reconciler.Waves;

/// <summary>
/// Asks the Prometheus that scrapes the fleet how the earlier waves did with a commit, from the
/// metrics every daemon exports (docs/metrics.md): <c>berth_revision_healthy_since_timestamp_seconds{revision}</c>
/// (the applied commit, converged and healthy since then) and <c>berth_failed_revision_info{revision}</c>
/// (its last failed commit). The host of a series is the target label <see cref="HostLabel"/> the scrape
/// config sets. Two instant queries per gated pass; any failure is an unavailable source, so the host waits.
/// </summary>
public sealed partial class PrometheusGateSource(HttpClient http, Uri baseAddress, string hostLabel) : IWaveGateSource
{
    /// <summary>The target label that names a host (default "host", as in the example scrape config).</summary>
    public string HostLabel { get; } = hostLabel;

    public string Description => $"prometheus {baseAddress}";

    public async Task<WaveEvidence> ReportAsync(string revision, ImmutableArray<string> hosts, CancellationToken cancellationToken)
    {
        // A revision is a commit sha (or a content hash): anything else is not put into a query.
        if (!RevisionPattern().IsMatch(revision))
        {
            return WaveEvidence.Unavailable($"revision '{revision}' is not a commit id");
        }

        var wanted = hosts.ToHashSet(StringComparer.Ordinal);
        var reports = new Dictionary<string, HostRevisionReport>(StringComparer.Ordinal);

        // Only targets Prometheus scrapes right now count as healthy: a daemon that went away leaves its
        // last sample visible for Prometheus' staleness window (5 minutes), and it proves nothing.
        var (healthy, healthyError) = await QueryAsync(
            $"berth_revision_healthy_since_timestamp_seconds{{revision=\"{revision}\"}} and on(job, instance) up == 1", cancellationToken).ConfigureAwait(false);
        if (healthyError is not null)
        {
            return WaveEvidence.Unavailable(healthyError);
        }

        foreach (var (host, value) in healthy)
        {
            // A host scraped twice (two jobs) counts with the shorter healthy time.
            if (wanted.Contains(host) && value > 0
                && (!reports.TryGetValue(host, out var known) || known.HealthySince < DateTimeOffset.FromUnixTimeMilliseconds((long)(value * 1000))))
            {
                reports[host] = new HostRevisionReport(HostRevisionState.Healthy, DateTimeOffset.FromUnixTimeMilliseconds((long)(value * 1000)));
            }
        }

        var (failed, failedError) = await QueryAsync($"berth_failed_revision_info{{revision=\"{revision}\"}} == 1", cancellationToken).ConfigureAwait(false);
        if (failedError is not null)
        {
            return WaveEvidence.Unavailable(failedError);
        }

        // A failure outweighs a healthy series of another target of the same host.
        foreach (var (host, _) in failed.Where(series => wanted.Contains(series.Host)))
        {
            reports[host] = new HostRevisionReport(HostRevisionState.Failed);
        }

        return WaveEvidence.Of(reports);
    }

    private async Task<(List<(string Host, double Value)> Series, string? Error)> QueryAsync(string expression, CancellationToken cancellationToken)
    {
        try
        {
            using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["query"] = expression });
            using var response = await http.PostAsync(new Uri(baseAddress, "api/v1/query"), content, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return Parse(body, (int)response.StatusCode);
        }
        catch (HttpRequestException exception)
        {
            return ([], $"{Description}: {exception.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ([], $"{Description}: no answer within {http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
    }

    private (List<(string Host, double Value)> Series, string? Error) Parse(string body, int statusCode)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.GetProperty("status").GetString() != "success")
            {
                var error = root.TryGetProperty("error", out var message) ? message.GetString() : null;
                return ([], $"{Description}: query failed (HTTP {statusCode}): {error}");
            }

            var series = new List<(string Host, double Value)>();
            foreach (var item in root.GetProperty("data").GetProperty("result").EnumerateArray())
            {
                // A series without the host label cannot be told apart from another host's: not counted.
                if (item.GetProperty("metric").TryGetProperty(HostLabel, out var host) && host.GetString() is { } name
                    && double.TryParse(item.GetProperty("value")[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    series.Add((name, value));
                }
            }

            return (series, null);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return ([], $"{Description}: not a Prometheus query answer (HTTP {statusCode})");
        }
    }

    [GeneratedRegex("^[0-9a-f]{7,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex RevisionPattern();
}
