using Berth.Reconciler.Execution;
using Berth.Reconciler.Images;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Execution;

/// <summary>A running pull says where it stands every interval; a short one says nothing at all.</summary>
public sealed class PullProgressReporterTests
{
    private const string Image = "registry.example.com/team/web:1.4";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ShortPull_FinishedWithinTheFirstInterval_PrintsNothing()
    {
        var clock = new FakeTimeProvider();
        var lines = new List<ProgressEvent>();
        await using var reporter = PullProgressReporter.Start(Image, Interval, clock, lines.Add);
        reporter.Messages.Report(new PullMessage("b2c3d4e5f6a1", "Pull complete"));

        clock.Advance(TimeSpan.FromSeconds(4));
        await reporter.SucceededAsync();
        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Empty(lines);
    }

    [Fact]
    public async Task LongPull_ALinePerIntervalThenTheFinalLine()
    {
        var clock = new FakeTimeProvider();
        var lines = new List<ProgressEvent>();
        await using var reporter = PullProgressReporter.Start(Image, Interval, clock, lines.Add);
        reporter.Messages.Report(new PullMessage("b2c3d4e5f6a1", "Pulling fs layer"));
        reporter.Messages.Report(new PullMessage("c3d4e5f6a1b2", "Already exists"));

        clock.Advance(Interval);
        reporter.Messages.Report(new PullMessage("b2c3d4e5f6a1", "Downloading", 2_000_000, 8_000_000));
        clock.Advance(Interval);
        reporter.Messages.Report(new PullMessage("b2c3d4e5f6a1", "Pull complete"));
        clock.Advance(TimeSpan.FromSeconds(1.5));
        await reporter.SucceededAsync();
        clock.Advance(Interval);

        Assert.Equal(
            [
                $"pulling image {Image}: 1/2 layers, 5.0 s",
                $"pulling image {Image}: 1/2 layers, 2.0 MB of 8.0 MB, 10.0 s",
                $"pulled image {Image}: 2 layers (1 already present), 8.0 MB downloaded in 11.5 s",
            ],
            lines.Select(line => line.Message));
        Assert.All(lines, line => Assert.Null(line.QualifiedService));
    }

    [Fact]
    public async Task FailedPull_StopsTheLinesWithoutAFinalOne()
    {
        var clock = new FakeTimeProvider();
        var lines = new List<ProgressEvent>();
        var reporter = PullProgressReporter.Start(Image, Interval, clock, lines.Add);
        clock.Advance(Interval);

        await reporter.DisposeAsync();
        clock.Advance(Interval * 3);

        Assert.Equal([$"pulling image {Image}: resolving the image, 5.0 s"], lines.Select(line => line.Message));
    }
}
