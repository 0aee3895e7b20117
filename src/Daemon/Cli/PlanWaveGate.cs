using System.CommandLine;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Waves;

namespace Berth.Daemon.Cli;

/// <summary>
/// `berth plan`'s line about staged rollouts (docs/fleet.md, "Waves"): for a host of a later wave, which
/// hosts must prove the commit first, and, with `--wave-gate URL`, what the fleet's Prometheus says now
/// (the daemon's own question, asked once). Without the option nothing is asked: plan stays offline.
/// </summary>
internal sealed class PlanWaveGate
{
    private readonly Option<string?> gateUrl = new("--wave-gate")
    {
        Description = "Ask this Prometheus (the daemon config's waves.prometheus.url) whether the commit may go to this host's wave now",
    };

    private readonly Option<string> hostLabel = new("--wave-host-label")
    {
        Description = "The target label naming a host in that Prometheus (default: host)",
        DefaultValueFactory = _ => "host",
    };

    public PlanWaveGate() =>
        gateUrl.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && ParseUrl(value) is null)
            {
                result.AddError($"--wave-gate: '{value}' is not an http:// or https:// URL");
            }
        });

    private static Uri? ParseUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null;

    public void AddTo(Command command)
    {
        command.Options.Add(gateUrl);
        command.Options.Add(hostLabel);
    }

    /// <returns>One line, or null when the host is in no gated wave.</returns>
    public async Task<string?> DescribeAsync(ParseResult parseResult, WavePosition? position, string revision, CancellationToken cancellationToken)
    {
        if (position is not { IsGated: true })
        {
            return null;
        }

        if (parseResult.GetValue(gateUrl) is not { } value || ParseUrl(value) is not { } url)
        {
            var earlier = string.Join(", ", position.Earlier.Select(member => $"{member.Host} (wave {member.Wave})"));
            return $"wave {position.Wave}: the daemon applies this commit only once {earlier} ran it converged and healthy for their soak time (--wave-gate URL asks now)";
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var source = new PrometheusGateSource(http, url, parseResult.GetValue(hostLabel) ?? "host");
        var evidence = await source.ReportAsync(revision, [.. position.Earlier.Select(member => member.Host)], cancellationToken).ConfigureAwait(false);
        var decision = WaveGate.Decide(position, revision, evidence, TimeProvider.System.GetUtcNow());
        return decision.Go ? $"wave {position.Wave}: passes its gate: {decision.Message}" : $"wave {position.Wave}: held: {decision.Message}";
    }
}
