using Berth.Daemon.Configuration;
using Berth.Daemon.Passes;
using Berth.Reconciler.Images;
using Berth.Reconciler.State;
using Berth.Tests.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Daemon;

/// <summary>`images.gcInterval` in the daemon's config, and the schedule it drives.</summary>
public sealed class ImageGcScheduleTests : IDisposable
{
    private const string MinimalSource = "source:\n  url: https://git.example.com/ops/hosts.git\n";
    private readonly string directory = Directory.CreateTempSubdirectory("berth-gc-schedule-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private ConfigLoadResult Load(string yaml) => ConfigLoader.Load(Path.Combine(directory, "berth.yaml"), yaml, "machine-name");

    [Fact]
    public void Config_Default_Daily_ZeroOff_NegativeRefusedAtTheValue()
    {
        Assert.Equal(TimeSpan.FromHours(24), Load(MinimalSource).Config!.Images.GcInterval);
        Assert.Equal(TimeSpan.Zero, Load(MinimalSource + "images:\n  gcInterval: 0\n").Config!.Images.GcInterval);
        Assert.Equal(TimeSpan.FromHours(6), Load(MinimalSource + "images:\n  gcInterval: 6h\n").Config!.Images.GcInterval);

        var refused = Load(MinimalSource + "images:\n  gcInterval: often\n");
        var error = Assert.Single(refused.Errors);
        Assert.Equal((4, 15), (error.Line, error.Column));
        Assert.Contains("images.gcInterval", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown key", Assert.Single(Load(MinimalSource + "images:\n  gcIntervall: 1h\n").Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_RunsOncePerInterval_FirstAfterOneInterval_ZeroNever()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero));
        var engine = new FakeContainerEngine();
        var store = new StateStore(directory);
        await store.SaveAsync(AppliedState.Empty("host-a") with { PulledImages = [new PulledImage("sha256:old", "app:1", ["shop/web"], time.GetUtcNow())] }, CancellationToken.None);
        engine.Images["app:1"] = "sha256:old";
        var schedule = new ImageCollectionSchedule(new ImageGarbageCollector(engine, store), new ImageSettings(TimeSpan.FromHours(24)), time, NullLogger<ImageCollectionSchedule>.Instance);

        await schedule.RunIfDueAsync("host-a", CancellationToken.None);
        Assert.Empty(engine.RemovedImages); // not at start: a restart loop must not become a collection loop

        time.Advance(TimeSpan.FromHours(24));
        await schedule.RunIfDueAsync("host-a", CancellationToken.None);
        Assert.Equal(["sha256:old"], engine.RemovedImages);

        engine.Images["app:2"] = "sha256:next";
        await store.SaveAsync((await store.LoadAsync("host-a", CancellationToken.None)) with { PulledImages = [new PulledImage("sha256:next", "app:2", ["shop/web"], time.GetUtcNow())] }, CancellationToken.None);
        time.Advance(TimeSpan.FromHours(23));
        await schedule.RunIfDueAsync("host-a", CancellationToken.None);
        Assert.Single(engine.RemovedImages);

        var off = new ImageCollectionSchedule(new ImageGarbageCollector(engine, store), new ImageSettings(TimeSpan.Zero), time, NullLogger<ImageCollectionSchedule>.Instance);
        time.Advance(TimeSpan.FromDays(30));
        await off.RunIfDueAsync("host-a", CancellationToken.None);
        Assert.Single(engine.RemovedImages);
    }
}
