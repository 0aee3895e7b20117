using System.Text;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Splits a string `command:`/`entrypoint:` into arguments the way Compose does (go-shellwords,
/// without variable expansion): whitespace separates, quotes group, backslash escapes.
/// </summary>
internal static class ShellWords
{
    /// <returns>The words, or null with <paramref name="error"/> set.</returns>
    public static List<string>? Split(string text, out string? error)
    {
        error = null;
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var index = 0; index < text.Length; index++)
        {
            var character = text[index];
            switch (character)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\\':
                    inWord = true;
                    if (index + 1 < text.Length)
                    {
                        word.Append(text[++index]);
                    }

                    break;
                case '\'':
                    inWord = true;
                    var closingSingle = text.IndexOf('\'', index + 1);
                    if (closingSingle < 0)
                    {
                        error = "unterminated single quote";
                        return null;
                    }

                    word.Append(text, index + 1, closingSingle - index - 1);
                    index = closingSingle;
                    break;
                case '"':
                    inWord = true;
                    index++;
                    while (index < text.Length && text[index] != '"')
                    {
                        if (text[index] == '\\' && index + 1 < text.Length && text[index + 1] is '"' or '\\' or '$' or '`')
                        {
                            index++;
                        }

                        word.Append(text[index]);
                        index++;
                    }

                    if (index >= text.Length)
                    {
                        error = "unterminated double quote";
                        return null;
                    }

                    break;
                default:
                    inWord = true;
                    word.Append(character);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
