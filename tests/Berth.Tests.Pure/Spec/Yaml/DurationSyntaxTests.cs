using Berth.Reconciler.Spec.Yaml;

namespace Berth.Tests.Spec.Yaml;

public sealed class DurationSyntaxTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData("2000us", 2)]
    public void TryParse_ComposeDurations_Parse(string text, long milliseconds)
    {
        Assert.True(DurationSyntax.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("s")]
    [InlineData("1 s")]
    [InlineData("99999999999999999999h")]
    public void TryParse_Invalid_Fails(string text)
    {
        Assert.False(DurationSyntax.TryParse(text, out _));
    }

    [Theory]
    [InlineData("1024", 1024)]
    [InlineData("64k", 65_536)]
    [InlineData("512m", 536_870_912)]
    [InlineData("512M", 536_870_912)]
    [InlineData("1g", 1_073_741_824)]
    [InlineData("1gb", 1_073_741_824)]
    [InlineData("1.5k", 1536)]
    public void SizeSyntax_ComposeSizes_Parse(string text, long bytes)
    {
        Assert.True(SizeSyntax.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1x")]
    [InlineData("-1m")]
    [InlineData("m")]
    [InlineData("99999999999p")]
    public void SizeSyntax_Invalid_Fails(string text)
    {
        Assert.False(SizeSyntax.TryParse(text, out _));
    }
}
