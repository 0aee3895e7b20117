using Berth.Reconciler.Spec.Yaml;

namespace Berth.Tests.Spec.Yaml;

public sealed class SizeSyntaxTests
{
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
