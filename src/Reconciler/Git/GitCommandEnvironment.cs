using System.Text;

namespace Berth.Reconciler.Git;

/// <summary>
/// The environment a network git command runs in: isolated from the host's git and ssh
/// configuration, unable to prompt, and carrying the credentials without exposing them.
/// </summary>
/// <remarks>
/// <para>
/// HTTP credentials travel as an <c>Authorization</c> header set through
/// <c>GIT_CONFIG_COUNT</c>/<c>GIT_CONFIG_KEY_0</c>/<c>GIT_CONFIG_VALUE_0</c>, i.e. <c>http.extraHeader</c>
/// given in the environment. Not in argv: <c>/proc/PID/cmdline</c> is readable by every user on the
/// host, while <c>/proc/PID/environ</c> is readable only by the same user and root. Not in the URL:
/// git would print it in errors and store it in config. Not a GIT_ASKPASS helper: that needs a
/// script on disk and a 401 round-trip first; some servers keep the connection open after a 401,
/// which is exactly where clients hang. The header is sent up front on every request.
/// </para>
/// <para>
/// SSH goes through <c>GIT_SSH_COMMAND</c> with the deploy key only (<c>IdentitiesOnly</c>, no agent),
/// the configured known_hosts file only, strict host-key checking, and <c>BatchMode</c> so ssh never
/// asks a question. <c>-F /dev/null</c> ignores ~/.ssh/config, which could otherwise redirect the host
/// or add a ProxyCommand.
/// </para>
/// </remarks>
internal sealed class GitCommandEnvironment
{
    private GitCommandEnvironment(IReadOnlyDictionary<string, string?> variables, IReadOnlyList<string> secrets)
    {
        Variables = variables;
        Secrets = secrets;
    }

    public IReadOnlyDictionary<string, string?> Variables { get; }

    /// <summary>Secret values to scrub from anything that leaves this class's callers (messages, logs).</summary>
    public IReadOnlyList<string> Secrets { get; }

    /// <summary>Reads the credential files now (so rotated secrets are picked up) and builds the environment.</summary>
    /// <exception cref="GitSourceException">A credential file cannot be read (<see cref="GitFailureReason.CredentialsUnreadable"/>).</exception>
    public static GitCommandEnvironment Create(GitSourceOptions options)
    {
        GitRemoteUrl.TryGetTransport(options.Url, out var transport);
        var variables = BaseVariables();
        var secrets = new List<string>();
        var extraConfig = new List<(string Key, string Value)>
        {
            // Credential helpers from any config would prompt or read stores we do not own.
            ("credential.helper", ""),
            // Objects arrive in the background only through us; the mirror is kept tidy by an explicit, bounded gc.
            ("maintenance.auto", "false"),
            ("gc.auto", "0"),
        };

        var credentials = options.Credentials ?? GitCredentials.None;
        if (transport == GitTransport.Http)
        {
            var header = AuthorizationHeader(credentials, secrets);
            if (header is not null)
            {
                extraConfig.Add(("http.extraHeader", header));
            }
        }

        if (transport == GitTransport.Ssh && credentials.SshKeyFile is not null && credentials.KnownHostsFile is not null)
        {
            variables["GIT_SSH_COMMAND"] = SshCommand(credentials.SshKeyFile, credentials.KnownHostsFile, options.FetchTimeout);
            variables["GIT_SSH_VARIANT"] = "ssh";
        }

        variables["GIT_CONFIG_COUNT"] = extraConfig.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var index = 0; index < extraConfig.Count; index++)
        {
            variables[$"GIT_CONFIG_KEY_{index}"] = extraConfig[index].Key;
            variables[$"GIT_CONFIG_VALUE_{index}"] = extraConfig[index].Value;
        }

        return new GitCommandEnvironment(variables, secrets);
    }

    /// <summary>The environment for local-only git commands (no credentials).</summary>
    public static GitCommandEnvironment Local() => new(BaseVariables(), []);

    /// <summary>Replaces every secret and every URL password in <paramref name="text"/>.</summary>
    public string Scrub(string text)
    {
        var scrubbed = GitRemoteUrl.ScrubUserInfo(text);
        foreach (var secret in Secrets.Where(secret => secret.Length > 0).OrderByDescending(secret => secret.Length))
        {
            scrubbed = scrubbed.Replace(secret, "***", StringComparison.Ordinal);
        }

        return scrubbed;
    }

    private static Dictionary<string, string?> BaseVariables() => new()
    {
        // Never prompt: a daemon has no terminal, and a prompt is a hang.
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GCM_INTERACTIVE"] = "never",
        // Only the configuration we pass: the host's /etc/gitconfig or ~/.gitconfig could set
        // url.*.insteadOf, proxies or hooks that change where and how we fetch.
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_CONFIG_GLOBAL"] = "/dev/null",
        // Only plain transports: ext:: and fd:: run commands; nothing else is needed.
        ["GIT_ALLOW_PROTOCOL"] = "file:git:http:https:ssh",
        // Progress meters are noise in captured stderr.
        ["GIT_PROGRESS_DELAY"] = "3600",
    };

    private static string? AuthorizationHeader(GitCredentials credentials, List<string> secrets)
    {
        if (credentials.TokenFile is not null)
        {
            var token = ReadSecret(credentials.TokenFile, "tokenFile");
            secrets.Add(token);
            return $"Authorization: Bearer {token}";
        }

        if (credentials.UsernameFile is not null && credentials.PasswordFile is not null)
        {
            var username = ReadSecret(credentials.UsernameFile, "usernameFile");
            var password = ReadSecret(credentials.PasswordFile, "passwordFile");
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
            secrets.Add(password);
            secrets.Add(encoded);
            return $"Authorization: Basic {encoded}";
        }

        return null;
    }

    private static string ReadSecret(string path, string settingName)
    {
        string value;
        try
        {
            value = File.ReadAllText(path).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The path is configuration, not a secret; the exception text names only the path.
            throw new GitSourceException(new GitError(
                GitFailureReason.CredentialsUnreadable,
                $"cannot read credentials.{settingName} '{path}': {exception.Message}"), exception);
        }

        if (value.Length == 0)
        {
            throw new GitSourceException(new GitError(GitFailureReason.CredentialsUnreadable, $"credentials.{settingName} '{path}' is empty."));
        }

        if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
        {
            // A newline inside a header value would let the file inject further headers.
            throw new GitSourceException(new GitError(GitFailureReason.CredentialsUnreadable, $"credentials.{settingName} '{path}' must hold a single line."));
        }

        return value;
    }

    private static string SshCommand(string keyFile, string knownHostsFile, TimeSpan fetchTimeout)
    {
        // GIT_SSH_COMMAND is parsed by a shell: every path is single-quoted.
        var connectTimeout = Math.Max(1, (int)Math.Ceiling(fetchTimeout.TotalSeconds));
        return string.Join(' ',
            "ssh", "-F", "/dev/null",
            "-i", ShellQuote(keyFile),
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", ShellQuote("UserKnownHostsFile=" + knownHostsFile),
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "UpdateHostKeys=no",
            "-o", $"ConnectTimeout={connectTimeout}",
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=3");
    }

    internal static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
