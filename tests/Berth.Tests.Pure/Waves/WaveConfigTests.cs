using Berth.Daemon.Configuration;

namespace Berth.Tests.Waves;

/// <summary>The daemon config's `waves.prometheus`: defaults, and precise errors.</summary>
public sealed class WaveConfigTests
{
    private const string File = "/etc/berth/berth.yaml";
    private const string Source = "source:\n  url: https://git.example.com/ops/hosts.git\n";

    private static ConfigLoadResult Load(string yaml) => ConfigLoader.Load(File, Source + yaml, "machine");

    [Fact]
    public void Load_NoWaves_NoGate()
    {
        Assert.Null(Load("").Config!.Waves);
    }

    [Fact]
    public void Load_PrometheusUrlOnly_DefaultsHostLabelAndTimeout()
    {
        var waves = Load("waves:\n  prometheus:\n    url: http://prometheus.example:9090/\n").Config!.Waves!;

        Assert.Equal(new Uri("http://prometheus.example:9090/"), waves.Url);
        Assert.Equal("host", waves.HostLabel);
        Assert.Equal(TimeSpan.FromSeconds(10), waves.Timeout);
    }

    [Fact]
    public void Load_BadWaves_EveryErrorWithItsPlace()
    {
        var result = Load("waves:\n  prometheus:\n    url: ftp://user:pw@prom/\n    hostLabel: host-name\n    timeout: soon\n    extra: 1\n");

        Assert.Equal(
            [
                $"{File}:5:10: waves.prometheus.url: 'ftp://user:pw@prom/' is not an http:// or https:// URL without credentials",
                $"{File}:6:16: waves.prometheus.hostLabel: 'host-name' is not a Prometheus label name (letters, digits, '_', not starting with a digit)",
                $"{File}:7:14: waves.prometheus.timeout: invalid duration 'soon': ",
                $"{File}:8:5: unknown key 'waves.prometheus.extra' (known here: url, hostLabel, timeout)",
            ],
            result.Errors.Select(error => error.ToString()[..Math.Min(error.ToString().Length, ExpectedLength(error.ToString()))]));
    }

    // The duration message goes on to list the units; the test keeps only its start.
    private static int ExpectedLength(string message) =>
        message.Contains("invalid duration", StringComparison.Ordinal) ? message.IndexOf("'soon': ", StringComparison.Ordinal) + "'soon': ".Length : message.Length;

    [Fact]
    public void Load_PrometheusWithoutUrl_Required()
    {
        var result = Load("waves:\n  prometheus:\n    hostLabel: instance\n");

        Assert.Equal([$"{File}:4:3: waves.prometheus.url: required: the Prometheus that scrapes the fleet, e.g. http://prometheus.example:9090/"], result.Errors.Select(error => error.ToString()));
    }
}
