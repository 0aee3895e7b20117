using System.Text;
using Berth.Reconciler.Metrics;
using Prometheus;

namespace Berth.Tests.Metrics;

/// <summary>
/// docs/metrics.md's table is the contract the dashboard and alerts are written against: every metric a
/// fresh registry exports is a row of that one table (a paragraph inside it ends the table for a
/// Markdown renderer, and the rows after it are shown as text).
/// </summary>
public sealed class MetricsDocumentationTests
{
    [Fact]
    public async Task MetricsTable_IsOneTable_ListingEveryExportedMetric()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new BerthMetrics(registry);
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var exported = Encoding.UTF8.GetString(stream.ToArray()).Split('\n')
            .Where(line => line.StartsWith("# TYPE berth_", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[2])
            .ToList();

        var rows = TableRows(File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "metrics.md")), "| metric | type | labels | meaning |");
        var documented = rows.Select(row => row.Split('|')[1].Trim().Trim('`')).ToHashSet(StringComparer.Ordinal);

        List<string> undocumented = [.. exported.Where(name => !documented.Contains(name))];
        Assert.NotEmpty(exported);
        Assert.Empty(undocumented);
    }

    /// <summary>The rows of the table under <paramref name="header"/>: the lines up to the first that is not a row.</summary>
    private static List<string> TableRows(string[] lines, string header)
    {
        var start = Array.IndexOf(lines, header);
        Assert.True(start >= 0, $"docs/metrics.md has no table headed {header}");
        return [.. lines.Skip(start + 2).TakeWhile(line => line.StartsWith('|'))];
    }

    /// <summary>The checkout this test runs from (walks up to Reconciler.sln).</summary>
    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Reconciler.sln not found above " + AppContext.BaseDirectory);
    }
}
