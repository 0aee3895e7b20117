using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.State;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Issue #16: a pass that changes nothing still records itself (attempt, history), but keeps each
/// service's record as it was stored: hashing every applied spec again and decoding the whole file on
/// every pass were most of the daemon's idle CPU.
/// </summary>
public sealed class NoOpRecordTests
{
    [Fact]
    public async Task NoOpApply_ConvergedHost_RecordsThePassAndKeepsEachServiceAsStored()
    {
        await using var harness = new ReconcileHarness();
        var desired = ObserveRequestCountTests.BenchmarkLikeState(harness, services: 3);
        await harness.ApplyConvergedAsync(desired);
        var before = await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None);

        var result = await harness.ApplyAsync(desired);
        var after = await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None);

        Assert.Equal(ApplyOutcome.UpToDate, result.Outcome);
        Assert.Equal(before.History.Length + 1, after.History.Length);
        Assert.Equal(HistoryResults.UpToDate, after.History[0].Result);
        Assert.Equal(before.Services.Keys, after.Services.Keys);
        Assert.All(before.Services, entry => Assert.Same(entry.Value, after.Services[entry.Key]));

        // What another process (a restart) reads is what this one remembers.
        var read = await new StateStore(harness.StateStore.StateDirectory).LoadAsync(harness.Host, CancellationToken.None);
        Assert.Equal(Json(read), Json(after));
    }

    private static string Json(AppliedState state) => System.Text.Json.JsonSerializer.Serialize(state, new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower });
}
