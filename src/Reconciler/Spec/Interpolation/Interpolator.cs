using System.Text;

namespace Berth.Reconciler.Spec.Interpolation;

/// <summary>
/// Compose interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
/// `${VAR?message}`, `${VAR:+alternative}`, `${VAR+alternative}`, `$$` for a literal `$`; defaults
/// may nest (`${A:-${B}}`) up to <see cref="MaxNestingDepth"/> levels. Unlike Compose, an undefined
/// variable without a default is an error, not an empty string: a typo must not deploy an empty password.
/// </summary>
/// <remarks>
/// One left-to-right scan over the original string by index, appending to one builder: the work is
/// linear in the length of the text whatever its shape. (Copying the rest of the string at each
/// nesting level made a 90 KB value nested 15,000 deep cost 3.3 GB and 20 s, and deeper ones
/// overflowed the stack.) A branch that is not taken (the default of a set variable) is still
/// scanned, to find where it ends, but nothing in it is looked up or reported but its structure.
/// </remarks>
internal static class Interpolator
{
    /// <summary>Nested `${` levels: real Compose files use two or three; the limit bounds recursion.</summary>
    public const int MaxNestingDepth = 32;

    /// <summary>The result of interpolating one string.</summary>
    /// <param name="Value">Null when <paramref name="Error"/> is set.</param>
    /// <param name="SecretVariable">A host-local variable whose value is in <paramref name="Value"/>, if any.</param>
    /// <param name="Error">Names variables only, never a value.</param>
    /// <param name="ErrorIndex">Where in the text the failing `$` expression starts (the innermost one), for the error's column.</param>
    public readonly record struct Result(string? Value, string? SecretVariable, string? Error, int ErrorIndex = 0);

    public static Result Interpolate(string text, VariableSet variables)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return new Result(text, null, null);
        }

        var scanner = new Scanner(text, variables);
        var value = scanner.ExpandAll();
        return scanner.Error is not null ? new Result(null, null, scanner.Error, scanner.ErrorIndex ?? 0) : new Result(value, scanner.SecretVariable, null);
    }

    private static bool IsNameStart(char character) => character is '_' or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

    private static bool IsNameCharacter(char character) => IsNameStart(character) || character is >= '0' and <= '9';

    private sealed class Scanner(string text, VariableSet variables)
    {
        private const string Unclosed = "invalid interpolation: '${' without a closing '}'";

        /// <summary>Longest `:?` / `?` message quoted back in an error.</summary>
        private const int MaxMessageLength = 200;

        private readonly StringBuilder output = new(text.Length);
        private int position;

        public string? Error { get; private set; }

        /// <summary>Start of the innermost `$` expression that failed: set where the error unwinds through it first.</summary>
        public int? ErrorIndex { get; private set; }

        public string? SecretVariable { get; private set; }

        public string ExpandAll()
        {
            ScanText(depth: 0, insideBraces: false, evaluate: true);
            return output.ToString();
        }

        /// <summary>
        /// Text up to the end, or (inside braces) up to the '}' that closes the current level, left
        /// unconsumed. With <paramref name="evaluate"/> false nothing is appended or looked up.
        /// </summary>
        private void ScanText(int depth, bool insideBraces, bool evaluate)
        {
            while (position < text.Length && Error is null)
            {
                var character = text[position];
                if (character == '}' && insideBraces)
                {
                    return;
                }

                if (character != '$')
                {
                    Append(character, evaluate);
                    position++;
                    continue;
                }

                var expressionStart = position;
                var next = position + 1 < text.Length ? text[position + 1] : '\0';
                if (next == '$')
                {
                    Append('$', evaluate);
                    position += 2;
                }
                else if (next == '{')
                {
                    position += 2;
                    ScanBraced(depth + 1, evaluate);
                }
                else if (IsNameStart(next))
                {
                    var name = ReadName(position + 1);
                    if (evaluate)
                    {
                        output.Append(Lookup(name));
                    }
                }
                else if (evaluate)
                {
                    Error = "invalid interpolation: '$' must be followed by a variable name, '{' or '$' (write '$$' for a literal '$')";
                }
                else
                {
                    position++; // a branch not taken is only scanned for its end, as it always was
                }

                if (Error is not null)
                {
                    ErrorIndex ??= expressionStart;
                }
            }
        }

        /// <summary>After `${`: the name, an optional operator and operand, and the closing '}'.</summary>
        private void ScanBraced(int depth, bool evaluate)
        {
            if (depth > MaxNestingDepth)
            {
                Error = $"invalid interpolation: '${{' nested more than {MaxNestingDepth} levels deep";
                return;
            }

            var name = position < text.Length && IsNameStart(text[position]) ? ReadName(position) : "";
            if (!evaluate)
            {
                ScanText(depth, insideBraces: true, evaluate: false);
                ExpectClosingBrace();
                return;
            }

            if (position >= text.Length)
            {
                Error = Unclosed;
                return;
            }

            if (name.Length == 0)
            {
                Error = "invalid interpolation: '${' must be followed by a variable name";
                return;
            }

            if (text[position] == '}')
            {
                position++;
                output.Append(Lookup(name));
                return;
            }

            var isSet = variables.TryGet(name, out var variable);
            var isNonEmpty = isSet && variable.Value.Length > 0;
            var operatorText = text[position] == ':' && position + 1 < text.Length && text[position + 1] != '}'
                ? text.Substring(position, 2)
                : text.Substring(position, 1);
            switch (operatorText)
            {
                case ":-" or "-":
                    position += operatorText.Length;
                    var useVariable = operatorText == ":-" ? isNonEmpty : isSet;
                    if (useVariable)
                    {
                        output.Append(Use(name, variable));
                    }

                    ScanText(depth, insideBraces: true, evaluate: !useVariable);
                    break;
                case ":+" or "+":
                    position += operatorText.Length;
                    ScanText(depth, insideBraces: true, evaluate: operatorText == ":+" ? isNonEmpty : isSet);
                    break;
                case ":?" or "?":
                    position += operatorText.Length;
                    var messageStart = position;
                    ScanText(depth, insideBraces: true, evaluate: false);
                    if (Error is not null || position >= text.Length)
                    {
                        Error ??= Unclosed;
                        return;
                    }

                    if (operatorText == ":?" ? isNonEmpty : isSet)
                    {
                        output.Append(Use(name, variable));
                    }
                    else
                    {
                        var message = text[messageStart..Math.Min(position, messageStart + MaxMessageLength)];
                        Error = $"required variable {name} is {(operatorText == ":?" ? "missing a value" : "not set")}" + (message.Length > 0 ? $": {message}" : "");
                        return;
                    }

                    break;
                default:
                    Error = $"invalid interpolation: unexpected '{operatorText}' after '${{{name}' (use :-, -, :?, ?, :+ or +)";
                    return;
            }

            ExpectClosingBrace();
        }

        private void ExpectClosingBrace()
        {
            if (Error is not null)
            {
                return;
            }

            if (position < text.Length && text[position] == '}')
            {
                position++;
                return;
            }

            Error = Unclosed;
        }

        private string ReadName(int start)
        {
            var end = start;
            while (end < text.Length && IsNameCharacter(text[end]))
            {
                end++;
            }

            position = end;
            return text[start..end];
        }

        private void Append(char character, bool evaluate)
        {
            if (evaluate)
            {
                output.Append(character);
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
    }
}
