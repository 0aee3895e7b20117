using Berth.Reconciler.Spec.Yaml;

namespace Berth.Tests.Spec.Yaml;

public sealed class DurationSyntaxTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData("2000us", 2)]
    [InlineData("2000\u00b5s", 2)]
    [InlineData("2000\u03bcs", 2)]
    [InlineData("3000000ns", 3)]
    [InlineData(".5s", 500)]
    [InlineData("1.s", 1000)]
    [InlineData("1s1s", 2000)]
    [InlineData("24h", 86_400_000)]
    [InlineData("1000h", 3_600_000_000)]
    public void TryParse_GoDurations_Parse(string text, long milliseconds)
    {
        Assert.True(DurationSyntax.TryParse(text, out var duration, out var problem), problem);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public void TryParse_SubMillisecond_KeepsTicks()
    {
        Assert.True(DurationSyntax.TryParse("2us", out var duration));
        Assert.Equal(TimeSpan.FromTicks(20), duration);
        Assert.True(DurationSyntax.TryParse("1ns", out duration));
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("10", "it has no unit (only 0 may be written without one)")]
    [InlineData("60", "it has no unit (only 0 may be written without one)")]
    [InlineData("1h30", "'30' has no unit")]
    [InlineData("-1s", "a duration cannot be negative")]
    [InlineData("-0", "a duration cannot be negative")]
    [InlineData("+1s", "remove the '+'")]
    [InlineData("1d", "unknown unit 'd' (units: ns, us, ms, s, m, h)")]
    [InlineData("5 m", "unknown unit ' m' (units: ns, us, ms, s, m, h)")]
    [InlineData("1 s", "unknown unit ' s' (units: ns, us, ms, s, m, h)")]
    [InlineData("5M", "unknown unit 'M' (units: ns, us, ms, s, m, h)")]
    [InlineData("s", "it must start with a number")]
    [InlineData(" 5s", "it must start with a number")]
    [InlineData(".s", "a '.' needs a digit before or after it")]
    [InlineData("1s.", "a '.' needs a digit before or after it")]
    [InlineData("99999999999999999999h", DurationSyntax.OutOfRange)]
    [InlineData("2562048h", DurationSyntax.OutOfRange)]
    [InlineData("9223372036854775808ns", DurationSyntax.OutOfRange)]
    [InlineData("2562047h2562047h", DurationSyntax.OutOfRange)]
    public void TryParse_Invalid_SaysWhy(string text, string expectedProblem)
    {
        Assert.False(DurationSyntax.TryParse(text, out var duration, out var problem));
        Assert.Equal(expectedProblem, problem);
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Fact]
    public void TryParse_GoLimit_IsTheLongestValue()
    {
        // Go's limit is 2^63-1 ns (2562047h47m16.854775807s).
        Assert.True(DurationSyntax.TryParse("9223372036854775807ns", out var duration));
        Assert.Equal(TimeSpan.FromTicks(92_233_720_368_547_758), duration);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(500, "500ms")]
    [InlineData(90_000, "1m30s")]
    [InlineData(300_000, "5m")]
    [InlineData(7_200_000, "2h")]
    [InlineData(1500, "1s500ms")]
    [InlineData(3_723_004, "1h2m3s4ms")]
    public void Format_Duration_RoundTrips(long milliseconds, string expected)
    {
        var text = DurationSyntax.Format(TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(expected, text);
        Assert.True(DurationSyntax.TryParse(text, out var parsed));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), parsed);
    }

    [Fact]
    public void TryParse_RandomText_NeverThrowsAndAgreesWithItself()
    {
        // Fuzz: text made of the grammar's own characters (and a few others) must either parse, with
        // a non-negative value that formats and parses back to itself, or fail with a reason.
        var random = new Random(20261204);
        const string alphabet = "0123456789.nsuµμmh+- dxMS";
        for (var round = 0; round < 50_000; round++)
        {
            var length = random.Next(0, 24);
            var chars = new char[length];
            for (var index = 0; index < length; index++)
            {
                chars[index] = alphabet[random.Next(alphabet.Length)];
            }

            var text = new string(chars);
            var parsed = DurationSyntax.TryParse(text, out var duration, out var problem);
            if (parsed)
            {
                Assert.Null(problem);
                Assert.True(duration >= TimeSpan.Zero, text);
                Assert.True(DurationSyntax.TryParse(DurationSyntax.Format(duration), out var again), text);
                Assert.Equal(duration, again);
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(problem), text);
            }
        }
    }

    [Fact]
    public void TryParse_RandomUnicode_NeverThrows()
    {
        var random = new Random(17);
        for (var round = 0; round < 20_000; round++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var index = 0; index < chars.Length; index++)
            {
                chars[index] = (char)random.Next(0, 0x3000);
            }

            var parsed = DurationSyntax.TryParse(new string(chars), out _, out var problem);
            Assert.True(parsed || problem is { Length: > 0 });
        }
    }
}
