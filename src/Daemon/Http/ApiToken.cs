using System.Security.Cryptography;
using System.Text;
using Berth.Daemon.Configuration;

namespace Berth.Daemon.Http;

/// <summary>
/// The bearer token that `POST /sync` and the evidence in `/status` require: whoever holds it may run
/// passes and read container log lines. Either a configured file (`http.tokenFile`) or a fresh random
/// token the daemon writes at each start to <c>&lt;stateDir&gt;/http-token</c>, mode 0600, so that root on
/// the host (`berth sync`, `berth status`) has it without flags and other local users do not.
/// Prints as "***".
/// </summary>
public sealed class ApiToken
{
    /// <summary>The file name of the generated token inside the state directory.</summary>
    public const string GeneratedFileName = "http-token";

    private const string BearerPrefix = "Bearer ";

    private readonly byte[] hash;

    private ApiToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        // Only a hash is kept: comparisons hash the claimed token too, which makes them constant-time in
        // its length as well (FixedTimeEquals returns early on a length mismatch).
        hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>Where the token of a daemon with this configuration lives.</summary>
    public static string FileFor(string? configuredTokenFile, string stateDir) =>
        configuredTokenFile ?? Path.Combine(stateDir, GeneratedFileName);

    /// <summary>
    /// The token file's content without surrounding white space (the newline `echo token > file` leaves):
    /// the one normalisation, used for the file and for what a request claims alike.
    /// </summary>
    public static string ReadFile(string path) => Normalize(File.ReadAllText(path));

    private static string Normalize(string token) => token.Trim();

    /// <summary>
    /// The daemon's token at start: the configured file's, or a new random one written to the state directory.
    /// A new token per start means a token read by someone who briefly had access stops working at the next restart.
    /// </summary>
    public static ApiToken LoadOrCreate(HttpSettings settings, string stateDir)
    {
        if (settings.TokenFile is { } configured)
        {
            return new ApiToken(ReadFile(configured));
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var path = Path.Combine(stateDir, GeneratedFileName);
        // Created 0600 from the first byte (never world-readable for a moment), then renamed over the old one,
        // so that a CLI reading concurrently sees the old token or the new one, never half a file.
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(token + "\n"));
        }

        File.Move(temporary, path, overwrite: true);
        return new ApiToken(token);
    }

    /// <summary>The value `berth sync` sends: <c>Authorization: Bearer TOKEN</c>.</summary>
    public static string AuthorizationValue(string token) => BearerPrefix + token;

    /// <summary>What an Authorization header proves.</summary>
    public Presented Check(string? authorizationHeader)
    {
        if (string.IsNullOrEmpty(authorizationHeader))
        {
            return Presented.None;
        }

        // Another scheme is not a claim to this token: a proxy in front (nginx forwards the client's Basic
        // credentials by default) makes the request anonymous, not refused.
        if (!authorizationHeader.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Presented.None;
        }

        Span<byte> claimed = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(authorizationHeader[BearerPrefix.Length..])), claimed);
        return CryptographicOperations.FixedTimeEquals(hash, claimed) ? Presented.Valid : Presented.Invalid;
    }

    public override string ToString() => "***";

    public enum Presented
    {
        /// <summary>No Authorization header, or one of another scheme: an anonymous request.</summary>
        None,
        /// <summary>A bearer token that is not this one.</summary>
        Invalid,
        Valid,
    }
}
