using System.Globalization;
using System.Text;
using Prometheus;

namespace Berth.Tests.Metrics;

/// <summary>The registry as Prometheus scrapes it: series (name plus labels, as exported) to value.</summary>
internal static class MetricsText
{
    public static async Task<Dictionary<string, double>> ScrapeAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(stream.ToArray()).Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var split = line.LastIndexOf(' ');
            series[line[..split]] = double.Parse(line[(split + 1)..], CultureInfo.InvariantCulture);
        }

        return series;
    }
}
