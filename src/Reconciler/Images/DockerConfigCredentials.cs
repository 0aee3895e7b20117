using System.Text;
using System.Text.Json;
using Berth.Reconciler.Processes;

namespace Berth.Reconciler.Images;

/// <summary>
/// Credentials from a host-local Docker client config.json (the file <c>docker login</c> writes; never from
/// the repository), read again on every call so that a rotated token is used by the next pull without a
/// restart. For a registry, in the Docker CLI's order: its <c>credHelpers</c> entry (a
/// <c>docker-credential-&lt;name&gt; get</c> run), else its <c>auths</c> entry (base64 user:password in
/// <c>auth</c>, or <c>identitytoken</c>), else the <c>credsStore</c> helper. A missing file means no credentials.
/// </summary>
public sealed class DockerConfigCredentials(string configPath, TimeProvider timeProvider) : IRegistryCredentials
{
    /// <summary>The default: root's Docker client configuration, where <c>sudo docker login</c> writes.</summary>
    public const string DefaultPath = "/root/.docker/config.json";

    /// <summary>How long a credential helper may take before the pull or check fails (default 10 s).</summary>
    public TimeSpan HelperTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The directory holding the <c>docker-credential-*</c> helpers; null looks them up on PATH as the Docker CLI does.
    /// Lets a test run a real helper without changing the whole process's PATH.
    /// </summary>
    public string? HelperDirectory { get; init; }

    public string ConfigPath { get; } = configPath;

    public async Task<RegistryCredential?> ForAsync(RegistryReference reference, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(ConfigPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            // The parser's message has line and position but never the file's content.
            throw new RegistryCredentialException($"{ConfigPath}: not valid JSON: {exception.Message}");
        }

        if (Entry(root, "credHelpers", reference) is { ValueKind: JsonValueKind.String } helper && helper.GetString() is { Length: > 0 } helperName)
        {
            return await FromHelperAsync(helperName, reference, cancellationToken).ConfigureAwait(false);
        }

        if (Entry(root, "auths", reference) is { ValueKind: JsonValueKind.Object } auth && FromAuthEntry(auth, reference) is { } inline)
        {
            return inline;
        }

        if (root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } storeName)
        {
            return await FromHelperAsync(storeName, reference, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>The entry of a section whose key names the reference's registry (keys may carry a scheme and a path, as docker login writes for Docker Hub).</summary>
    private static JsonElement? Entry(JsonElement root, string section, RegistryReference reference)
    {
        if (!root.TryGetProperty(section, out var entries) || entries.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var entry in entries.EnumerateObject())
        {
            if (SameRegistry(entry.Name, reference.Registry))
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>The Docker CLI's ConvertToHostname: scheme and path dropped; Docker Hub's several names are one.</summary>
    internal static bool SameRegistry(string configKey, string registry)
    {
        var host = configKey;
        foreach (var scheme in new[] { "https://", "http://" })
        {
            if (host.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                host = host[scheme.Length..];
            }
        }

        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            host = host[..slash];
        }

        static string Canonical(string name) => name is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? RegistryReference.DockerHub : name;
        return string.Equals(Canonical(host), Canonical(registry), StringComparison.OrdinalIgnoreCase);
    }

    private RegistryCredential? FromAuthEntry(JsonElement entry, RegistryReference reference)
    {
        var identityToken = entry.TryGetProperty("identitytoken", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        if (entry.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String && auth.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                throw new RegistryCredentialException($"{ConfigPath}: auths entry for {reference.Registry}: 'auth' is not base64 of user:password");
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new RegistryCredentialException($"{ConfigPath}: auths entry for {reference.Registry}: 'auth' is not base64 of user:password");
            }

            return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..], string.IsNullOrEmpty(identityToken) ? null : identityToken);
        }

        var username = entry.TryGetProperty("username", out var user) && user.ValueKind == JsonValueKind.String ? user.GetString() : null;
        var password = entry.TryGetProperty("password", out var pass) && pass.ValueKind == JsonValueKind.String ? pass.GetString() : null;
        if (!string.IsNullOrEmpty(identityToken) || (!string.IsNullOrEmpty(username) && password is not null))
        {
            return new RegistryCredential(username, password, string.IsNullOrEmpty(identityToken) ? null : identityToken);
        }

        return null;
    }

    /// <summary>
    /// The credential helper protocol: <c>docker-credential-NAME get</c> with the server URL on stdin, JSON
    /// {"ServerURL","Username","Secret"} on stdout; a Username of "&lt;token&gt;" means the secret is an identity token.
    /// </summary>
    private async Task<RegistryCredential?> FromHelperAsync(string helperName, RegistryReference reference, CancellationToken cancellationToken)
    {
        var program = "docker-credential-" + helperName;
        if (HelperDirectory is not null)
        {
            program = Path.Combine(HelperDirectory, program);
        }

        ProcessOutcome outcome;
        try
        {
            outcome = await new BoundedProcess(timeProvider).RunAsync(
                new ProcessRequest(program, ["get"])
                {
                    StandardInput = Encoding.UTF8.GetBytes(reference.CredentialKey + "\n"),
                    Timeout = HelperTimeout,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessRunException exception)
        {
            throw new RegistryCredentialException($"{ConfigPath} names the credential helper {helperName} for {reference.Registry}, but {program} cannot be run: {exception.Message}", exception);
        }

        if (outcome.TimedOut)
        {
            throw new RegistryCredentialException($"credential helper {program} did not answer within {HelperTimeout.TotalSeconds:0} s for {reference.Registry}");
        }

        if (!outcome.Succeeded)
        {
            // Helpers say "credentials not found" when they hold nothing for the server: anonymous, as the Docker CLI does.
            if (outcome.StandardOutput.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)
                || outcome.StandardError.Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            // Only stderr's first line: a helper's output is not ours to print in full (it could echo input).
            var firstLine = outcome.StandardError.Split('\n', 2)[0].Trim();
            throw new RegistryCredentialException($"credential helper {program} failed for {reference.Registry} (exit {outcome.ExitCode}): {firstLine}");
        }

        try
        {
            using var document = JsonDocument.Parse(outcome.StandardOutput);
            var answer = document.RootElement;
            var username = answer.TryGetProperty("Username", out var user) ? user.GetString() : null;
            var secret = answer.TryGetProperty("Secret", out var value) ? value.GetString() : null;
            if (string.IsNullOrEmpty(secret))
            {
                return null;
            }

            return username == "<token>" ? new RegistryCredential(null, null, secret) : new RegistryCredential(username, secret, null);
        }
        catch (JsonException)
        {
            throw new RegistryCredentialException($"credential helper {program} answered something that is not its JSON for {reference.Registry}");
        }
    }
}
