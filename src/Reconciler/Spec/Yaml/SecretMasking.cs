using System.Text.RegularExpressions;

namespace Berth.Reconciler.Spec.Yaml;

/// <summary>
/// Masks host-local (secret) values out of error messages: values and pieces of values, never the path
/// the message is about. Every message starts with that path (`services.postgres.tty: ...`), and the path is
/// built from YAML keys, which are never interpolated: it is the one part that cannot hold a value, so a
/// value `postgres` for DB_HOST leaves the path services.postgres.tty readable. Everywhere after it:
/// <list type="bullet">
/// <item>A secret of 4 characters or more is masked wherever it occurs, quoted or bare, whole or inside a
/// longer word (`./Sup3rSecretx`, `'app.Sup3rSecret'`, a secret holding a quote).</item>
/// <item>A shorter secret is masked where it stands as a token of a quoted part (`'k9Z-x'`), and, in an
/// error about the scalar holding it, wherever it stands as a word: "db" would otherwise blank every "db"
/// in every message.</item>
/// <item>An error about a scalar holding a secret (the reader knows which node it reports on) also has
/// everything it quotes masked: whatever it quotes is derived from the secret (`unknown volume option
/// 'tail'` for `ro,${SECRET}`).</item>
/// </list>
/// A name the repository defines as a key (a service, network or volume), quoted whole ('postgres'), is
/// not masked even when a secret equals it: keys are never interpolated, so the quoted name is the key's,
/// readable in the repository by anyone, and masking it would only hide what the error is about
/// (`service '(hidden)' depends on unknown service 'redis'`). Any other occurrence is masked as above.
/// </summary>
internal static partial class SecretMasking
{
    public const string Hidden = "(hidden)";

    /// <summary>Shorter values are masked only as tokens of a quoted part or in an error about their scalar.</summary>
    private const int SubstringMinimumLength = 4;

    /// <summary>Longest first, so that a secret containing another is masked whole.</summary>
    public static IReadOnlyList<string> Prepare(IEnumerable<string>? secretValues) =>
        [.. (secretValues ?? []).Where(value => value.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(value => value.Length)];

    public static SpecError Mask(SpecError error, bool aboutSecretValue, IReadOnlyList<string> secrets, IReadOnlySet<string>? publicNames = null)
    {
        if (secrets.Count == 0)
        {
            return error;
        }

        var pathLength = LeadingPath().Match(error.Message) is { Success: true } path ? path.Length : 0;
        var text = error.Message[pathLength..];
        if (aboutSecretValue)
        {
            text = MaskQuotedParts(text);
        }

        // Quoted public names are set aside while the secrets are masked, then put back.
        var keptNames = new List<string>();
        if (!aboutSecretValue && publicNames is { Count: > 0 })
        {
            text = QuotedPart().Replace(text, quoted =>
            {
                if (!publicNames.Contains(quoted.Value[1..^1]))
                {
                    return quoted.Value;
                }

                keptNames.Add(quoted.Value);
                return $"\u0001{keptNames.Count - 1}\u0002";
            });
        }

        foreach (var secret in secrets)
        {
            text = secret.Length >= SubstringMinimumLength
                ? text.Replace(secret, Hidden, StringComparison.Ordinal)
                : MaskShortSecret(text, secret, everywhere: aboutSecretValue);
        }

        for (var index = 0; index < keptNames.Count; index++)
        {
            text = text.Replace($"\u0001{index}\u0002", keptNames[index], StringComparison.Ordinal);
        }

        var message = error.Message[..pathLength] + text;
        return message == error.Message ? error : error with { Message = message };
    }

    /// <summary>From the first quote to the last: a secret may itself hold a quote, which would end a shorter span early.</summary>
    private static string MaskQuotedParts(string text)
    {
        var first = text.IndexOf('\'', StringComparison.Ordinal);
        var last = text.LastIndexOf('\'');
        return first >= 0 && last > first ? text[..first] + "'" + Hidden + "'" + text[(last + 1)..] : text;
    }

    private static string MaskShortSecret(string text, string secret, bool everywhere)
    {
        var token = new Regex($@"(?<![A-Za-z0-9_]){Regex.Escape(secret)}(?![A-Za-z0-9_])", RegexOptions.CultureInvariant);
        return everywhere
            ? token.Replace(text, Hidden)
            : QuotedPart().Replace(text, quoted => token.IsMatch(quoted.Value[1..^1]) ? $"'{Hidden}'" : quoted.Value);
    }

    /// <summary>
    /// The path every message starts with, bare or quoted: `services.web.ports: ...`,
    /// `services.web.healthcheck.retries must be ...`, `'services.web.tty' is not supported ...`.
    /// </summary>
    [GeneratedRegex(@"^'?[A-Za-z0-9_\-.\[\]/]+'?(?=[:\s]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingPath();

    [GeneratedRegex("'[^'\n]*'", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedPart();
}
