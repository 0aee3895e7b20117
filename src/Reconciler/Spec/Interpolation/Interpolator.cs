using System.Text;

namespace Berth.Reconciler.Spec.Interpolation;

/// <summary>
/// Compose interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
/// `${VAR?message}`, `${VAR:+alternative}`, `${VAR+alternative}`, `$$` for a literal `$`; defaults
/// may nest (`${A:-${B}}`). Unlike Compose, an undefined variable without a default is an error,
/// not an empty string: a typo must not deploy an empty password.
/// </summary>
internal static class Interpolator
{
    /// <summary>The result of interpolating one string.</summary>
    /// <param name="Value">Null when <paramref name="Error"/> is set.</param>
    /// <param name="SecretVariable">A host-local variable whose value is in <paramref name="Value"/>, if any.</param>
    /// <param name="Error">Names variables only, never a value.</param>
    public readonly record struct Result(string? Value, string? SecretVariable, string? Error);

    public static Result Interpolate(string text, VariableSet variables)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return new Result(text, null, null);
        }

        var state = new State(variables);
        var value = state.Expand(text);
        return state.Error is not null ? new Result(null, null, state.Error) : new Result(value, state.SecretVariable, null);
    }

    private static bool IsNameStart(char character) => character is '_' or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

    private static bool IsNameCharacter(char character) => IsNameStart(character) || character is >= '0' and <= '9';

    private sealed class State(VariableSet variables)
    {
        public string? Error { get; private set; }

        public string? SecretVariable { get; private set; }

        public string Expand(string text)
        {
            var result = new StringBuilder();
            var index = 0;
            while (index < text.Length && Error is null)
            {
                var character = text[index];
                if (character != '$')
                {
                    result.Append(character);
                    index++;
                    continue;
                }

                var next = index + 1 < text.Length ? text[index + 1] : '\0';
                if (next == '$')
                {
                    result.Append('$');
                    index += 2;
                }
                else if (next == '{')
                {
                    var close = FindClosingBrace(text, index + 2);
                    if (close < 0)
                    {
                        Error = "invalid interpolation: '${' without a closing '}'";
                        break;
                    }

                    result.Append(ExpandBraced(text[(index + 2)..close]));
                    index = close + 1;
                }
                else if (IsNameStart(next))
                {
                    var end = index + 1;
                    while (end < text.Length && IsNameCharacter(text[end]))
                    {
                        end++;
                    }

                    result.Append(Lookup(text[(index + 1)..end]));
                    index = end;
                }
                else
                {
                    Error = "invalid interpolation: '$' must be followed by a variable name, '{' or '$' (write '$$' for a literal '$')";
                }
            }

            return result.ToString();
        }

        private string ExpandBraced(string content)
        {
            var nameEnd = 0;
            while (nameEnd < content.Length && (nameEnd == 0 ? IsNameStart(content[nameEnd]) : IsNameCharacter(content[nameEnd])))
            {
                nameEnd++;
            }

            var name = content[..nameEnd];
            var rest = content[nameEnd..];
            if (name.Length == 0)
            {
                Error = "invalid interpolation: '${' must be followed by a variable name";
                return "";
            }

            var isSet = variables.TryGet(name, out var variable);
            var isNonEmpty = isSet && variable.Value.Length > 0;
            if (rest.Length == 0)
            {
                return Lookup(name);
            }

            var (operatorText, operand) = rest.StartsWith(':') && rest.Length >= 2 ? (rest[..2], rest[2..]) : (rest[..1], rest[1..]);
            switch (operatorText)
            {
                case ":-":
                    return isNonEmpty ? Use(name, variable) : Expand(operand);
                case "-":
                    return isSet ? Use(name, variable) : Expand(operand);
                case ":+":
                    return isNonEmpty ? Expand(operand) : "";
                case "+":
                    return isSet ? Expand(operand) : "";
                case ":?":
                    if (isNonEmpty)
                    {
                        return Use(name, variable);
                    }

                    Error = $"required variable {name} is missing a value" + (operand.Length > 0 ? $": {operand}" : "");
                    return "";
                case "?":
                    if (isSet)
                    {
                        return Use(name, variable);
                    }

                    Error = $"required variable {name} is not set" + (operand.Length > 0 ? $": {operand}" : "");
                    return "";
                default:
                    Error = $"invalid interpolation: unexpected '{operatorText}' after '${{{name}' (use :-, -, :?, ?, :+ or +)";
                    return "";
            }
        }

        private string Lookup(string name)
        {
            if (variables.TryGet(name, out var variable))
            {
                return Use(name, variable);
            }

            Error = $"variable {name} is not defined (set it in the host's or stack's vars, or give a default: ${{{name}:-value}})";
            return "";
        }

        private string Use(string name, Variable variable)
        {
            if (variable.IsSecret)
            {
                SecretVariable ??= name;
            }

            return variable.Value;
        }

        private static int FindClosingBrace(string text, int from)
        {
            var depth = 1;
            for (var index = from; index < text.Length; index++)
            {
                if (text[index] == '$' && index + 1 < text.Length && text[index + 1] == '{')
                {
                    depth++;
                    index++;
                }
                else if (text[index] == '}' && --depth == 0)
                {
                    return index;
                }
            }

            return -1;
        }
    }
}
