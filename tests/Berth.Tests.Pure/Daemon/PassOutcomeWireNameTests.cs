using System.Text.Json;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Daemon;

/// <summary>
/// The C# member for a transient pass was renamed (Failed -> Transient); what `/status`, `berth status`,
/// the journal and old status documents say was not.
/// </summary>
public sealed class PassOutcomeWireNameTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Json_TransientPass_IsStillWrittenAsFailed()
    {
        var json = JsonSerializer.Serialize(new PassRecord(1, PassTrigger.Timer, T0, TimeSpan.Zero, PassOutcome.Transient, null, "git: timeout", "SourceUnavailable"), StatusJsonContext.Default.PassRecord);

        Assert.Contains("\"outcome\": \"Failed\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_StatusDocumentSayingFailed_ReadsAsTransient()
    {
        var pass = JsonSerializer.Deserialize("""{"number":1,"trigger":"Timer","startedAt":"2026-11-25T12:00:00+00:00","duration":"00:00:00","outcome":"Failed","revision":null,"summary":"s","reason":"EngineUnavailable"}""", StatusJsonContext.Default.PassRecord);

        Assert.Equal(PassOutcome.Transient, pass!.Outcome);
    }

    [Theory]
    [InlineData(PassOutcome.Converged)]
    [InlineData(PassOutcome.Changed)]
    [InlineData(PassOutcome.Transient)]
    [InlineData(PassOutcome.Stalled)]
    public void WireName_EveryOutcome_IsItsJsonName(PassOutcome outcome)
    {
        var json = JsonSerializer.Serialize(new PassRecord(1, PassTrigger.Timer, T0, TimeSpan.Zero, outcome, null, "", ""), StatusJsonContext.Default.PassRecord);

        Assert.Contains($"\"outcome\": \"{outcome.WireName()}\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void WireName_EveryOutcomeIsCovered() =>
        Assert.Equal([PassOutcome.Converged, PassOutcome.Changed, PassOutcome.Transient, PassOutcome.Stalled], Enum.GetValues<PassOutcome>());
}
