using Xunit.Abstractions;
using System.Text.RegularExpressions;
using Berth.Reconciler.Reconciliation;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

/// <summary>
/// A pull that takes a while says how far it got, per image, in the lines `berth apply` prints and the
/// daemon logs: layers and bytes from the engine's own stream, then what it downloaded in how long.
/// A real registry (Debian's docker-registry on loopback) and an image whose layers the host has never seen.
/// </summary>
public sealed class PullProgressTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Apply_PullOfAnImageWithSeveralLayers_PrintsLayerProgressAndAFinalLine()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        // Busybox plus three layers of 8 MB of random bytes (incompressible): a pull long enough for a
        // few progress lines at the short interval below, however fast the machine is.
        await registry.PushLayersAsync("team/layered", "1", LayeredTestImage.Build(randomLayers: 3, bytesPerLayer: 8_000_000), "sleep", "3600");
        var image = registry.Reference("team/layered", "1");
        await using var harness = new ReconcileHarness();
        // No network: what is under test is the pull, not the engine's bridge.
        var app = Service(harness.StackName, "app", Container(image, "sleep", "3600") with { NetworkMode = "none" });

        var result = await harness.ApplyAsync(
            Desired(harness.Host, Stack(harness.StackName, [app])),
            new ApplyOptions { DrainPeriod = TimeSpan.FromMilliseconds(200), PullProgressInterval = TimeSpan.FromMilliseconds(50) });

        Assert.True(result.Outcome == ApplyOutcome.Applied, $"{result.Outcome}: {result.Summary}");
        List<string> lines;
        lock (harness.Progress)
        {
            lines = [.. harness.Progress.Where(line => line.QualifiedService is null).Select(line => line.Message)];
        }

        var pullLines = lines.Where(line => line.Contains($"image {image}", StringComparison.Ordinal)).ToList();
        var report = string.Join(Environment.NewLine, pullLines);
        output.WriteLine(report);
        Assert.Equal($"pull image {image}: not present locally", pullLines[0]);
        Assert.Contains(pullLines, line => Regex.IsMatch(line, $@"^pulling image {Regex.Escape(image)}: [0-4]/4 layers(, \d+\.\d [kM]B of (at least )?\d+\.\d MB)?, \d+\.\d s$"));
        // The last line is the final one: what came down (about 24 MB) and how long it took.
        Assert.Matches($@"^pulled image {Regex.Escape(image)}: 4 layers, 2\d\.\d MB downloaded in \d+\.\d s$", pullLines[^1]);
        Assert.Single(pullLines, line => line.StartsWith("pulled image", StringComparison.Ordinal));
        Assert.True(pullLines.Count >= 3, report);
    }
}
