namespace Berth.Daemon.Configuration;

// The daemon config's `waves:`: where a host of a later wave asks how the earlier waves did (docs/fleet.md, "Waves").
public static partial class ConfigLoader
{
    private static readonly string[] WavesKeys = ["prometheus"];
    private static readonly string[] PrometheusGateKeys = ["url", "hostLabel", "timeout"];

    private static WaveGateSettings? ReadWaves(YamlSection? section, ConfigErrors errors)
    {
        if (section?.Section("prometheus", PrometheusGateKeys) is not { } prometheus)
        {
            return null;
        }

        Uri? url = null;
        if (prometheus.Scalar("url") is not { } urlValue)
        {
            errors.Add(section!.KeyPosition("prometheus"), "waves.prometheus.url: required: the Prometheus that scrapes the fleet, e.g. http://prometheus.example:9090/");
        }
        else if (!Uri.TryCreate(urlValue.Value, UriKind.Absolute, out url) || url.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(url.UserInfo))
        {
            errors.Add(urlValue.At, $"waves.prometheus.url: '{urlValue.Value}' is not an http:// or https:// URL without credentials");
            url = null;
        }

        var hostLabel = WaveGateSettings.DefaultHostLabel;
        if (prometheus.Scalar("hostLabel") is { } labelValue)
        {
            if (PrometheusLabelPattern().IsMatch(labelValue.Value))
            {
                hostLabel = labelValue.Value;
            }
            else
            {
                errors.Add(labelValue.At, $"waves.prometheus.hostLabel: '{labelValue.Value}' is not a Prometheus label name (letters, digits, '_', not starting with a digit)");
            }
        }

        var timeout = ReadDuration(prometheus, "timeout", WaveGateSettings.DefaultTimeout, errors);
        return url is null ? null : new WaveGateSettings(url, hostLabel, timeout);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex PrometheusLabelPattern();
}

/// <summary>
/// `waves.prometheus`: the Prometheus that scrapes every berth daemon of the fleet, asked by a host of a
/// later wave before it applies a commit. Without it such a host never applies a new commit (fail safe).
/// </summary>
/// <param name="Url">Prometheus' base URL (its HTTP API is under api/v1/).</param>
/// <param name="HostLabel">The target label the scrape config sets to the host's name in the inventory. Default "host".</param>
/// <param name="Timeout">Per query; no answer in time is an unreachable source. Default 10 s.</param>
public sealed record WaveGateSettings(Uri Url, string HostLabel, TimeSpan Timeout)
{
    public const string DefaultHostLabel = "host";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
}
