using Berth.Reconciler.Images;

namespace Berth.Tests.Images;

/// <summary>A pull's stream of engine messages, per layer, summed up into layers and bytes.</summary>
public sealed class PullProgressTests
{
    /// <summary>The statuses moby sends for a pull of three layers, one already on the host (ids shortened as the engine does).</summary>
    private static PullProgress Pulling()
    {
        var progress = new PullProgress();
        foreach (var message in new PullMessage[]
        {
            new("stable", "Pulling from team/web"),
            new("a1b2c3d4e5f6", "Already exists"),
            new("b2c3d4e5f6a1", "Pulling fs layer"),
            new("c3d4e5f6a1b2", "Pulling fs layer"),
            new("c3d4e5f6a1b2", "Waiting"),
            new("b2c3d4e5f6a1", "Downloading", 1_000_000, 4_000_000),
            new("b2c3d4e5f6a1", "Downloading", 3_000_000, 4_000_000),
        })
        {
            progress.Report(message);
        }

        return progress;
    }

    [Fact]
    public void Snapshot_WhileDownloading_CountsLayersAndTheBytesKnownSoFar()
    {
        var snapshot = Pulling().Snapshot();

        Assert.Equal(new PullSnapshot(Layers: 3, LayersDone: 1, LayersPresent: 1, BytesDone: 3_000_000, BytesTotal: 4_000_000, AllSizesKnown: false), snapshot);
        Assert.Equal("1/3 layers, 3.0 MB of at least 4.0 MB", snapshot.Describe());
    }

    [Fact]
    public void Snapshot_Finished_EveryLayerDoneAndEveryByteCounted()
    {
        var progress = Pulling();
        foreach (var message in new PullMessage[]
        {
            new("c3d4e5f6a1b2", "Downloading", 500_000, 2_500_000),
            new("b2c3d4e5f6a1", "Verifying Checksum"),
            new("b2c3d4e5f6a1", "Download complete"),
            new("b2c3d4e5f6a1", "Extracting", 2_000_000, 4_000_000),
            new("c3d4e5f6a1b2", "Download complete"),
            new("b2c3d4e5f6a1", "Pull complete"),
        })
        {
            progress.Report(message);
        }

        Assert.Equal("2/3 layers, 6.5 MB of 6.5 MB", progress.Snapshot().Describe());

        progress.Report(new PullMessage("c3d4e5f6a1b2", "Pull complete"));
        progress.Report(new PullMessage(null, "Digest: sha256:0123456789abcdef"));
        progress.Report(new PullMessage(null, "Status: Downloaded newer image for registry.example.com/team/web:stable"));

        var finished = progress.Snapshot();
        Assert.Equal(new PullSnapshot(3, 3, 1, 6_500_000, 6_500_000, true), finished);
        Assert.Equal("3 layers (1 already present), 6.5 MB downloaded", finished.DescribeFinished());
    }

    [Fact]
    public void Snapshot_RetriedLayer_IsCountedOnce()
    {
        var progress = Pulling();
        progress.Report(new PullMessage("b2c3d4e5f6a1", "Retrying in 5 seconds"));
        progress.Report(new PullMessage("b2c3d4e5f6a1", "Downloading", 500_000, 4_000_000));

        // Downloaded bytes never go backwards within a pull: the line says the most that arrived.
        Assert.Equal(new PullSnapshot(3, 1, 1, 3_000_000, 4_000_000, false), progress.Snapshot());
    }

    [Fact]
    public void Describe_BeforeTheManifest_SaysItResolves()
    {
        var progress = new PullProgress();
        progress.Report(new PullMessage("1.4", "Pulling from team/web"));

        Assert.Equal("resolving the image", progress.Snapshot().Describe());
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(999, "999 B")]
    [InlineData(1_000, "1.0 kB")]
    [InlineData(12_345_678, "12.3 MB")]
    [InlineData(1_500_000_000, "1.5 GB")]
    public void FormatBytes_DecimalUnitsAsTheDockerCli(long bytes, string expected)
    {
        Assert.Equal(expected, PullProgress.FormatBytes(bytes));
    }
}
