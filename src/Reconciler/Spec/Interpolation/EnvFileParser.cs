using System.Text;
using System.Text.RegularExpressions;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Interpolation;

/// <summary>
/// Reads dotenv files (Compose `env_file:` and berth's host env files): `KEY=VALUE`, `export KEY=VALUE`,
/// `#` comments, single quotes literal, double quotes with \n \" \\ escapes, unquoted values trimmed and
/// cut at " #". A bare `KEY` takes its value from the variables, or is dropped. Values (except single-quoted)
/// are interpolated as Compose's dotenv reader does: a name is looked up in the file's earlier lines
/// first, then in the variables it is read with (`DOMAIN=x` then `URL=https://${DOMAIN}`). At most <see cref="FileLimits.EnvFileVariables"/> variables; the rest of a longer
/// file is not read (its size is bounded before it is read, see <see cref="FileLimits"/>).
/// </summary>
internal static partial class EnvFileParser
{
    /// <param name="isSecret">Host-local file: values are never quoted in errors and stay secret when used.</param>
    /// <param name="secretNames">When given, receives the names whose value is secret (the file is, or the value was built from a host-local variable).</param>
    public static List<KeyValuePair<string, string>> Parse(string file, string text, VariableSet variables, bool isSecret, ErrorCollector errors, ISet<string>? secretNames = null)
    {
        var entries = new List<KeyValuePair<string, string>>();
        var visible = variables.CopyForAdding();
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

            // Where `trimmed` starts in the line, kept up to date so an error can point into the value.
            var trimmedOffset = column - 1;
            if (trimmed.StartsWith("export ", StringComparison.Ordinal))
            {
                var afterExport = trimmed["export ".Length..].TrimStart();
                trimmedOffset += trimmed.Length - afterExport.Length;
                trimmed = afterExport;
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
                if (visible.TryGet(name, out var inherited))
                {
                    entries.Add(new(name, inherited.Value));
                    visible.Set(name, inherited);
                    MarkSecret(secretNames, name, inherited.IsSecret);
                }

                continue;
            }

            var afterEquals = trimmed[(equals + 1)..];
            var raw = afterEquals.TrimStart();
            var rawOffset = trimmedOffset + equals + 1 + (afterEquals.Length - raw.Length);

            // Where each character of the value came from in `raw`: escapes in double quotes shift them.
            var sourceIndexes = new List<int>();
            var value = raw switch
            {
                ['\'', ..] => Quoted(raw, '\'', sourceIndexes),
                ['"', ..] => Quoted(raw, '"', sourceIndexes),
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
                visible.Set(name, new Variable(value, isSecret));
                MarkSecret(secretNames, name, isSecret);
                continue;
            }

            var interpolated = Interpolator.Interpolate(value, visible);
            if (interpolated.Error is not null)
            {
                // The interpolator's message quotes what follows the '$' ("variable sw0rdTail is not defined"
                // for pa$sw0rdTail): from a host-local file that is a piece of the secret. Name the key only.
                var errorIndex = raw.StartsWith('"')
                    ? (interpolated.ErrorIndex < sourceIndexes.Count ? sourceIndexes[interpolated.ErrorIndex] : raw.Length - 1)
                    : interpolated.ErrorIndex;
                errors.Add(at with { Column = rawOffset + errorIndex + 1 }, isSecret ? $"{name}: {SecretInterpolationError}" : $"{name}: {interpolated.Error}");
                continue;
            }

            entries.Add(new(name, interpolated.Value!));
            // A value built from a host-local variable is host-local too: it stays secret when a later line uses it.
            visible.Set(name, new Variable(interpolated.Value!, isSecret || interpolated.SecretVariable is not null));
            MarkSecret(secretNames, name, isSecret || interpolated.SecretVariable is not null);
        }

        return entries;
    }

    private static void MarkSecret(ISet<string>? secretNames, string name, bool isSecret)
    {
        if (secretNames is null)
        {
            return;
        }

        // A later line for the same name decides.
        if (isSecret)
        {
            secretNames.Add(name);
        }
        else
        {
            secretNames.Remove(name);
        }
    }

    internal const string SecretInterpolationError =
        "the value has a '$' that is not a defined variable or valid interpolation (value not shown); write $$ for a literal '$', or put the value in single quotes";

    /// <param name="sourceIndexes">Receives, for each character of the value, its index in <paramref name="raw"/>.</param>
    private static string? Quoted(string raw, char quote, List<int> sourceIndexes)
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
                sourceIndexes.Add(index);
                var escaped = raw[++index];
                value.Append(escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => escaped });
                continue;
            }

            sourceIndexes.Add(index);
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
