using System.Text.RegularExpressions;

namespace Berth.Reconciler.Spec.Yaml;

/// <summary>
/// Masks host-local (secret) values out of error messages: values and pieces of values, never names,
/// keys or paths. Messages quote values in single quotes and write paths, keys and variable names bare
/// (`services.postgres.tty: ...`, `'pa$$word'`), which is what lets the two be told apart: a value
/// `postgres` for DB_HOST must not turn the path services.postgres.tty into services.(hidden).tty.
/// <list type="bullet">
/// <item>An error about a scalar holding a secret (the reader knows which node it reports on): every
/// quoted part is masked, and the secrets themselves wherever they appear, however short. Whatever it
/// quotes is derived from the secret (`unknown volume option 'tail'` for `ro,${SECRET}`).</item>
/// <item>Any other error: a quoted part that is exactly a secret (however short), or contains one of 4
/// characters or more other than as a segment of a dotted key path ('services.postgres.tty'), is masked.
/// A secret equal to a whole quoted name is masked there too: the text cannot tell the two apart. This
/// is the net for secrets that reach a message by another road, such as a resource name built from a
/// secret and reported at its service.</item>
/// </list>
/// </summary>
internal static partial class SecretMasking
{
    public const string Hidden = "(hidden)";

    /// <summary>Shorter values are masked only where they are a whole quoted part or in an error about their scalar: "db" would otherwise blank every "db" in a message.</summary>
    private const int SubstringMinimumLength = 4;

    /// <summary>Longest first, so that a secret containing another is masked whole.</summary>
    public static IReadOnlyList<string> Prepare(IEnumerable<string>? secretValues) =>
        [.. (secretValues ?? []).Where(value => value.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(value => value.Length)];

    public static SpecError Mask(SpecError error, bool aboutSecretValue, IReadOnlyList<string> secrets)
    {
        var message = aboutSecretValue ? MaskAboutSecret(error.Message, secrets) : MaskQuotedSecrets(error.Message, secrets);
        return message == error.Message ? error : error with { Message = message };
    }

    private static string MaskAboutSecret(string message, IReadOnlyList<string> secrets)
    {
        // From the first quote to the last: a secret may itself hold a quote, which would end a shorter span early.
        var first = message.IndexOf('\'', StringComparison.Ordinal);
        var last = message.LastIndexOf('\'');
        if (first >= 0 && last > first)
        {
            message = message[..first] + "'" + Hidden + "'" + message[(last + 1)..];
        }

        foreach (var secret in secrets)
        {
            message = secret.Length >= SubstringMinimumLength
                ? ReplaceOutsideKeyPaths(message, secret)
                : Regex.Replace(message, $@"(?<![A-Za-z0-9_]){Regex.Escape(secret)}(?![A-Za-z0-9_])", Hidden, RegexOptions.CultureInvariant);
        }

        return message;
    }

    private static string MaskQuotedSecrets(string message, IReadOnlyList<string> secrets) =>
        secrets.Count == 0 || !message.Contains('\'', StringComparison.Ordinal)
            ? message
            : QuotedPart().Replace(message, quoted =>
            {
                var content = quoted.Value[1..^1];
                return secrets.Any(secret => content == secret || (secret.Length >= SubstringMinimumLength && ContainsOutsideKeyPath(content, secret)))
                    ? $"'{Hidden}'"
                    : quoted.Value;
            });

    /// <summary>
    /// True when <paramref name="secret"/> occurs in <paramref name="text"/> other than as a whole segment of
    /// a dotted key path: 'services.postgres.tty' names a service, it does not print DB_HOST=postgres.
    /// </summary>
    private static bool ContainsOutsideKeyPath(string text, string secret) =>
        Occurrences(text, secret).Any(index => !IsKeyPathSegment(text, index, index + secret.Length));

    /// <summary>The secret masked wherever it occurs, except as a segment of a dotted key path.</summary>
    private static string ReplaceOutsideKeyPaths(string text, string secret)
    {
        var masked = new System.Text.StringBuilder();
        var copied = 0;
        foreach (var index in Occurrences(text, secret).Where(index => !IsKeyPathSegment(text, index, index + secret.Length)).ToList())
        {
            if (index < copied)
            {
                continue;
            }

            masked.Append(text, copied, index - copied).Append(Hidden);
            copied = index + secret.Length;
        }

        return copied == 0 ? text : masked.Append(text, copied, text.Length - copied).ToString();
    }

    private static IEnumerable<int> Occurrences(string text, string secret)
    {
        for (var index = text.IndexOf(secret, StringComparison.Ordinal); index >= 0; index = text.IndexOf(secret, index + 1, StringComparison.Ordinal))
        {
            yield return index;
        }
    }

    /// <summary>
    /// [start, end) is one segment of a word like services.postgres.tty: the word (up to spaces and quotes,
    /// without a trailing ':' or ',') has a dot, and the occurrence is bounded by dots or the word's ends.
    /// </summary>
    private static bool IsKeyPathSegment(string text, int start, int end)
    {
        static bool IsWordEdge(char character) => char.IsWhiteSpace(character) || character is '\'' or '"' or '(' or ')';
        var wordStart = start;
        while (wordStart > 0 && !IsWordEdge(text[wordStart - 1]))
        {
            wordStart--;
        }

        var wordEnd = end;
        while (wordEnd < text.Length && !IsWordEdge(text[wordEnd]))
        {
            wordEnd++;
        }

        while (wordEnd > end && text[wordEnd - 1] is ':' or ',')
        {
            wordEnd--;
        }

        var hasDot = text.AsSpan(wordStart, wordEnd - wordStart).Contains('.');
        return hasDot
            && (start == wordStart || text[start - 1] == '.')
            && (end == wordEnd || text[end] == '.');
    }

    [GeneratedRegex("'[^'\n]*'", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedPart();
}
