using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Berth.Reconciler.Spec.Yaml;

/// <summary>
/// The one duration grammar of berth, for Compose files and for the daemon's /etc/berth/berth.yaml
/// alike: Go's time.ParseDuration, which Compose uses. A sequence of decimal numbers, each with an
/// optional fraction and a unit: "1h30m", "1.5m", "500ms", "10s", "2us", ".5s". Units: ns, us (µs, μs),
/// ms, s, m, h. A bare number is refused (its unit would be a guess; Compose refuses it too), except "0".
/// Unlike Go, a sign is refused: no berth duration may be negative, and "+" only adds a way to spell it.
/// </summary>
/// <remarks>
/// Written by hand after Go's src/time/format.go rather than as a regular expression so that every
/// rejection says why (unknown unit, missing unit, out of range) and no input can overflow: the sum is
/// kept in nanoseconds as Go does, and anything past Go's limit (about 292 years) is out of range.
/// </remarks>
internal static class DurationSyntax
{
    /// <summary>
    /// The longest duration a spec may set (health check timings, stop_grace_period, rollout delay
    /// and monitor, x-berth.drain). Docker takes up to 292 years, but berth waits for some of these
    /// itself, and .NET timers (Task.Delay) throw past 49.7 days: an absurd drain validated, then
    /// threw mid-rollout after the old container had left its network. Nothing sane waits a day.
    /// </summary>
    public static readonly TimeSpan Longest = TimeSpan.FromHours(24);

    /// <summary>
    /// The longest a timer of berth's own can wait (the daemon's reconcile settings): .NET timers
    /// (Task.Delay with a TimeProvider) throw past 2^32-2 milliseconds, 49.7 days.
    /// </summary>
    public static readonly TimeSpan LongestTimer = TimeSpan.FromDays(49);

    /// <summary>How a duration is written, for messages.</summary>
    public const string Examples = "500ms, 10s, 1.5m, 1h30m";

    /// <summary>The problem of a duration past Go's limit (about 292 years): far longer than any limit of berth's.</summary>
    public const string OutOfRange = "it is out of range";

    private const ulong MaxNanoseconds = 1UL << 63;

    private static readonly (string Unit, ulong Nanoseconds)[] Units =
    [
        ("ns", 1),
        ("us", 1_000),
        ("\u00b5s", 1_000), // micro sign, as Go accepts
        ("\u03bcs", 1_000), // Greek small letter mu, as Go accepts
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];

    public static bool TryParse(string text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <param name="problem">Why <paramref name="text"/> is not a duration, for "invalid duration 'x': PROBLEM".</param>
    public static bool TryParse(string text, out TimeSpan duration, [NotNullWhen(false)] out string? problem)
    {
        duration = TimeSpan.Zero;
        problem = Parse(text, out var nanoseconds);
        if (problem is not null)
        {
            return false;
        }

        // TimeSpan counts 100 ns ticks: a rest below one tick is rounded, as it always was.
        duration = TimeSpan.FromTicks((long)((nanoseconds + 50) / 100));
        return true;
    }

    /// <summary>The whole message for a value that is not a duration, the same in every file berth reads.</summary>
    /// <param name="describedValue">The value as messages show it: quoted, or hidden when it holds a secret.</param>
    public static string InvalidMessage(string path, string describedValue, string problem) =>
        $"{path}: invalid duration {describedValue}: {problem}; write a number with a unit, e.g. {Examples}";

    /// <summary>The whole message for a duration past a limit, the same in every file berth reads.</summary>
    public static string TooLongMessage(string path, string describedValue, TimeSpan longest) =>
        $"{path}: {describedValue} is longer than {Format(longest)}, the longest duration berth accepts";

    /// <summary>The shortest text <see cref="TryParse(string, out TimeSpan)"/> reads back as the same duration (whole milliseconds and up).</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        var rest = duration;
        Append(TimeSpan.FromHours(1), "h");
        Append(TimeSpan.FromMinutes(1), "m");
        Append(TimeSpan.FromSeconds(1), "s");
        Append(TimeSpan.FromMilliseconds(1), "ms");
        if (rest > TimeSpan.Zero)
        {
            text.Append((rest.Ticks * 100).ToString(CultureInfo.InvariantCulture)).Append("ns");
        }

        return text.ToString();

        void Append(TimeSpan unit, string name)
        {
            var count = rest.Ticks / unit.Ticks;
            if (count > 0)
            {
                text.Append(count.ToString(CultureInfo.InvariantCulture)).Append(name);
                rest -= TimeSpan.FromTicks(count * unit.Ticks);
            }
        }
    }

    /// <summary>Go's algorithm; null when <paramref name="text"/> is a duration, else why not.</summary>
    private static string? Parse(string text, out ulong nanoseconds)
    {
        nanoseconds = 0;
        if (text.Length == 0)
        {
            return "it is empty";
        }

        if (text[0] is '-' or '+')
        {
            return text[0] == '-' ? "a duration cannot be negative" : "remove the '+'";
        }

        if (text == "0")
        {
            return null;
        }

        var position = 0;
        ulong total = 0;
        while (position < text.Length)
        {
            // A number: digits, optionally '.', optionally digits; at least one digit in all.
            if (!(text[position] == '.' || char.IsAsciiDigit(text[position])))
            {
                return position == 0 ? "it must start with a number" : $"unexpected '{text[position]}'";
            }

            var integerStart = position;
            ulong whole = 0;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                if (whole > (MaxNanoseconds - 1) / 10)
                {
                    return OutOfRange;
                }

                whole = (whole * 10) + (ulong)(text[position] - '0');
                position++;
            }

            var hasWhole = position > integerStart;
            ulong fraction = 0;
            double scale = 1;
            var hasFraction = false;
            if (position < text.Length && text[position] == '.')
            {
                position++;
                var fractionStart = position;
                var overflowed = false;
                while (position < text.Length && char.IsAsciiDigit(text[position]))
                {
                    // As Go: digits past what fits are read and ignored.
                    if (!overflowed && fraction <= (MaxNanoseconds - 1) / 10)
                    {
                        fraction = (fraction * 10) + (ulong)(text[position] - '0');
                        scale *= 10;
                    }
                    else
                    {
                        overflowed = true;
                    }

                    position++;
                }

                hasFraction = position > fractionStart;
            }

            if (!hasWhole && !hasFraction)
            {
                return "a '.' needs a digit before or after it";
            }

            var unitStart = position;
            while (position < text.Length && text[position] != '.' && !char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            if (position == unitStart)
            {
                return text.Length == unitStart && integerStart == 0
                    ? "it has no unit (only 0 may be written without one)"
                    : $"'{text[integerStart..position]}' has no unit";
            }

            var unitText = text[unitStart..position];
            var unit = Array.Find(Units, candidate => candidate.Unit == unitText).Nanoseconds;
            if (unit == 0)
            {
                return $"unknown unit '{(unitText.Length > 20 ? unitText[..20] + "..." : unitText)}' (units: ns, us, ms, s, m, h)";
            }

            if (whole > MaxNanoseconds / unit)
            {
                return OutOfRange;
            }

            var value = whole * unit;
            if (fraction > 0)
            {
                value += (ulong)(fraction * (unit / scale));
                if (value > MaxNanoseconds)
                {
                    return OutOfRange;
                }
            }

            total += value;
            if (total > MaxNanoseconds - 1)
            {
                return OutOfRange;
            }
        }

        nanoseconds = total;
        return null;
    }
}
