using System.CommandLine;
using Berth.Reconciler.Secrets.Sops;

namespace Berth.Daemon.Cli;

/// <summary>
/// `--age-key FILE` for validate, plan and apply: the age identity that decrypts SOPS-encrypted env
/// files (docs/secrets.md). Without it, SOPS_AGE_KEY_FILE, the variable sops itself reads.
/// </summary>
internal static class AgeKeyOption
{
    public const string EnvironmentVariable = "SOPS_AGE_KEY_FILE";

    public static Option<string?> Create() => new("--age-key")
    {
        Description = $"The host's age identity file, for SOPS-encrypted env files (default: ${EnvironmentVariable}; mode 0600)",
    };

    /// <summary>The key file to use, null when none is given; a problem with it (world-readable, missing) is an error.</summary>
    public static (AgeKeyFile? Key, string? Error) Resolve(ParseResult parseResult, Option<string?> option)
    {
        var path = parseResult.GetValue(option) ?? NonEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable));
        if (path is null)
        {
            return (null, null);
        }

        var source = parseResult.GetValue(option) is null ? EnvironmentVariable : "--age-key";
        return AgeKeyFile.AccessProblem(path) is { } problem
            ? (null, $"{source}: '{path}' {problem}")
            : (new AgeKeyFile(path), null);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
