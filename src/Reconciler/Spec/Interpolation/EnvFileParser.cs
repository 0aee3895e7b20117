using System.Text;
using System.Text.RegularExpressions;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Interpolation;

/// <summary>
/// Reads dotenv files (Compose `env_file:` and berth's host env files): `KEY=VALUE`, `export KEY=VALUE`,
/// `#` comments, single quotes literal, double quotes with \n \" \\ escapes, unquoted values trimmed and
/// cut at " #". A bare `KEY` takes its value from the variables, or is dropped. Values (except single-quoted)
/// are interpolated. At most <see cref="FileLimits.EnvFileVariables"/> variables; the rest of a longer
/// file is not read (its size is bounded before it is read, see <see cref="FileLimits"/>).
/// </summary>
internal static partial class EnvFileParser
{
    /// <param name="isSecret">Host-local file: values are never quoted in errors and stay secret when used.</param>
    public static List<KeyValuePair<string, string>> Parse(string file, string text, VariableSet variables, bool isSecret, ErrorCollector errors)
    {
        var entries = new List<KeyValuePair<string, string>>();
        var lines = text.Split('\n');
        for (var lineIndex = 0; lineIndex < lines.Length; lineIndex++)
        {
            var line = lines[lineIndex].TrimEnd('\r');
            var trimmed = line.TrimStart();
            var column = line.Length - trimmed.Length + 1;
            var at = new Location(file, lineIndex + 1, column);
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            if (trimmed.StartsWith("export ", StringComparison.Ordinal))
            {
                trimmed = trimmed["export ".Length..].TrimStart();
            }

            var equals = trimmed.IndexOf('=', StringComparison.Ordinal);
            var name = (equals < 0 ? trimmed : trimmed[..equals]).TrimEnd();
            if (!VariableName().IsMatch(name))
            {
                errors.Add(at, $"invalid line in env file: expected KEY=VALUE with KEY of letters, digits, '_', '.', '-'" + (isSecret ? "" : $", not '{Truncate(trimmed)}'"));
                continue;
            }

            if (entries.Count == FileLimits.EnvFileVariables)
            {
                errors.Add(at, $"more than {FileLimits.EnvFileVariables} variables in one env file");
                break;
            }

            if (equals < 0)
            {
                if (variables.TryGet(name, out var inherited))
                {
                    entries.Add(new(name, inherited.Value));
                }

                continue;
            }

            var raw = trimmed[(equals + 1)..].TrimStart();
            var value = raw switch
            {
                ['\'', ..] => Quoted(raw, '\''),
                ['"', ..] => Quoted(raw, '"'),
                _ => WithoutComment(raw).Trim(),
            };
            if (value is null)
            {
                errors.Add(at, $"unterminated quote in the value of {name} (multi-line values are not supported)");
                continue;
            }

            if (raw.StartsWith('\''))
            {
                entries.Add(new(name, value));
                continue;
            }

            var interpolated = Interpolator.Interpolate(value, variables);
            if (interpolated.Error is not null)
            {
                // The interpolator's message quotes what follows the '$' ("variable sw0rdTail is not defined"
                // for pa$sw0rdTail): from a host-local file that is a piece of the secret. Name the key only.
                errors.Add(at, isSecret ? $"{name}: {SecretInterpolationError}" : $"{name}: {interpolated.Error}");
                continue;
            }

            entries.Add(new(name, interpolated.Value!));
        }

        return entries;
    }

    internal const string SecretInterpolationError =
        "the value has a '$' that is not a defined variable or valid interpolation (value not shown); write $$ for a literal '$', or put the value in single quotes";

    private static string? Quoted(string raw, char quote)
    {
        var value = new StringBuilder();
        for (var index = 1; index < raw.Length; index++)
        {
            var character = raw[index];
            if (character == quote)
            {
                return value.ToString();
            }

            if (quote == '"' && character == '\\' && index + 1 < raw.Length)
            {
                var escaped = raw[++index];
                value.Append(escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => escaped });
                continue;
            }

            value.Append(character);
        }

        return null;
    }

    private static string WithoutComment(string raw)
    {
        var comment = raw.IndexOf(" #", StringComparison.Ordinal);
        return comment < 0 ? raw : raw[..comment];
    }

    private static string Truncate(string text) => text.Length > 60 ? text[..57] + "..." : text;

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*$")]
    private static partial Regex VariableName();
}
