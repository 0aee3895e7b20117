namespace Berth.Reconciler.Secrets.Sops;

/// <summary>
/// How SOPS stored a file, which is also what its decrypted form is. SOPS picks it from the file
/// name when it encrypts (`.env` dotenv, `.yaml`/`.yml` YAML, `.json` JSON, anything else binary);
/// berth reads it from the content, with the caller's expectation deciding the one ambiguous case (a
/// JSON file holding only `data` is a binary file unless JSON was expected).
/// </summary>
public enum SopsFormat
{
    Dotenv,
    Yaml,
    Json,
    Binary,
}

public static class SopsFormats
{
    /// <summary>The format SOPS itself would pick for <paramref name="path"/>.</summary>
    public static SopsFormat FromPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".env" => SopsFormat.Dotenv,
        ".yaml" or ".yml" => SopsFormat.Yaml,
        ".json" => SopsFormat.Json,
        _ => SopsFormat.Binary,
    };
}
