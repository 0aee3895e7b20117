using Berth.Daemon.Configuration;

namespace Berth.Tests.Daemon;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("0s", 0)]
    public void TryParse_ValidDuration_ReturnsIt(string text, long milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("60")]
    [InlineData("5 m")]
    [InlineData("1d")]
    [InlineData("-5s")]
    [InlineData("")]
    public void TryParse_InvalidDuration_ReturnsFalse(string text) => Assert.False(DurationParser.TryParse(text, out _));

    [Theory]
    [InlineData(90_000, "90s")]
    [InlineData(300_000, "5m")]
    [InlineData(7_200_000, "2h")]
    [InlineData(1500, "1500ms")]
    public void Format_Duration_RoundTrips(long milliseconds, string expected)
    {
        var text = DurationParser.Format(TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(expected, text);
        Assert.True(DurationParser.TryParse(text, out var parsed));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), parsed);
    }
}
