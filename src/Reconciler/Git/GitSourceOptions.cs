namespace Berth.Reconciler.Git;

/// <summary>
/// Where the desired state comes from: one branch of one repository. Immutable; a configuration
/// reload builds a new instance, validates it with <see cref="Validate"/>, and keeps the old one
/// running when it is invalid (YARP's habit).
/// </summary>
public sealed record GitSourceOptions
{
    /// <summary>
    /// The repository: a local path, <c>file://</c>, <c>git://</c>, <c>http(s)://</c>, <c>ssh://</c> or
    /// scp-like <c>user@host:path</c>. Required. Must not carry a password: secrets come from
    /// <see cref="Credentials"/> files only.
    /// </summary>
    public required string Url { get; init; }

    /// <summary>The branch to follow. Default <c>main</c>. Its tip is the truth: force-pushes are followed.</summary>
    public string Branch { get; init; } = "main";

    /// <summary>
    /// The directory inside the repository that holds the desired state; <c>""</c> (the default) is the root.
    /// Forward slashes, relative, no <c>..</c>.
    /// </summary>
    public string SubPath { get; init; } = "";

    /// <summary>How often the daemon checks the remote. Default 60 s; at least 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Random spread applied to <see cref="PollInterval"/> as a fraction (0.1 = plus or minus 10 %), so a
    /// fleet does not poll the server in lock-step. Default 0.1; between 0 and 0.5.
    /// </summary>
    public double PollJitter { get; init; } = 0.1;

    /// <summary>
    /// Hard limit for one network operation (remote check or fetch). When it expires the whole git
    /// process tree is killed and the call returns a transient <see cref="GitFailureReason.Timeout"/>.
    /// Default 60 s; between 1 s and 1 h.
    /// </summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The directory this source owns for its local mirror (a bare repository) and its private GPG
    /// keyring; under berth's state directory. Required. One directory per source: never share it.
    /// </summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Credentials for the transport, read from files on every operation. Default: none.</summary>
    public GitCredentials Credentials { get; init; } = GitCredentials.None;

    /// <summary>
    /// Lets a token or password go to a plain <c>http://</c> URL. Default <c>false</c>: <see cref="Validate"/>
    /// refuses <c>http://</c> with a token, user or password file, because the secret would cross the network
    /// in clear text. Loopback addresses get no exemption: without TLS nothing proves who answers, and any
    /// local user who binds the port first (the git server restarting, or not up yet) receives the secret.
    /// Set it only for a network you trust end to end.
    /// </summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>Which signatures a commit must carry to be applied; <c>null</c> (the default) = not required.</summary>
    public SignaturePolicy? Signatures { get; init; }

    /// <summary>How big an exported tree may be; see <see cref="TreeExportLimits"/> for the defaults.</summary>
    public TreeExportLimits ExportLimits { get; init; } = TreeExportLimits.Default;

    /// <summary>The delay before the next poll: <see cref="PollInterval"/> spread by <see cref="PollJitter"/>.</summary>
    /// <param name="randomUnit">A value in [0, 1), e.g. <c>Random.Shared.NextDouble()</c>; injected so tests are exact.</param>
    public TimeSpan NextPollDelay(double randomUnit)
    {
        var factor = 1 + (PollJitter * ((2 * randomUnit) - 1));
        return TimeSpan.FromTicks((long)(PollInterval.Ticks * factor));
    }

    /// <summary>Every problem with these options at once; empty when they are valid. Does not touch the network.</summary>
    public IReadOnlyList<string> Validate() => [.. ValidateFields().Select(error => error.Message)];

    /// <summary>
    /// <see cref="Validate"/> with the option each problem is about, so that a configuration file can
    /// point at the line that sets it (berth.yaml errors carry file:line:column).
    /// </summary>
    public IReadOnlyList<GitSourceOptionsError> ValidateFields()
    {
        var errors = new GitSourceOptionsErrors();
        if (string.IsNullOrWhiteSpace(Url))
        {
            errors.Add("git.url", "git.url is required.");
        }
        else
        {
            if (Url.StartsWith('-'))
            {
                errors.Add("git.url", "git.url must not start with '-'.");
            }

            if (!GitRemoteUrl.TryGetTransport(Url, out var transport))
            {
                errors.Add("git.url", $"git.url '{GitRemoteUrl.ScrubUserInfo(Url)}' uses an unsupported transport; use a path, file://, git://, http(s)://, ssh:// or user@host:path.");
            }
            else
            {
                if (transport == GitTransport.Local && !Url.Contains("://", StringComparison.Ordinal) && !Path.IsPathRooted(Url))
                {
                    // git runs inside the mirror: a relative path would be resolved from there.
                    errors.Add("git.url", $"git.url '{Url}' is a relative path; use an absolute path or file:// URL.");
                }

                ValidateCredentialsFor(transport, errors);
            }

            if (GitRemoteUrl.ContainsCredentials(Url))
            {
                errors.Add("git.url", "git.url must not contain a user name, password or token (git would print it and store it in the mirror's config); put the secret in a file and set credentials.tokenFile, or credentials.usernameFile and passwordFile.");
            }
        }

        if (!GitRefName.IsValidBranchName(Branch))
        {
            errors.Add("git.branch", $"git.branch '{Branch}' is not a valid branch name.");
        }

        if (!TreePath.IsValidSubPath(SubPath))
        {
            errors.Add("git.subPath", $"git.subPath '{SubPath}' must be a relative path with forward slashes and no '.' or '..' segments.");
        }

        if (PollInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add("git.pollInterval", $"git.pollInterval must be at least 1s (is {PollInterval}).");
        }

        if (double.IsNaN(PollJitter) || PollJitter < 0 || PollJitter > 0.5)
        {
            errors.Add("git.pollJitter", $"git.pollJitter must be between 0 and 0.5 (is {PollJitter}).");
        }

        if (FetchTimeout < TimeSpan.FromSeconds(1) || FetchTimeout > TimeSpan.FromHours(1))
        {
            errors.Add("git.fetchTimeout", $"git.fetchTimeout must be between 1s and 1h (is {FetchTimeout}).");
        }

        if (string.IsNullOrWhiteSpace(CacheDirectory))
        {
            errors.Add("git.cacheDirectory", "git.cacheDirectory is required.");
        }
        else if (!Path.IsPathRooted(CacheDirectory))
        {
            errors.Add("git.cacheDirectory", $"git.cacheDirectory '{CacheDirectory}' must be an absolute path.");
        }

        Signatures?.Validate(errors);
        ExportLimits.Validate(errors);
        return errors.All;
    }

    private void ValidateCredentialsFor(GitTransport transport, GitSourceOptionsErrors errors)
    {
        var credentials = Credentials ?? GitCredentials.None;
        credentials.ValidateFiles(errors);
        switch (transport)
        {
            case GitTransport.Http:
                if (credentials.SshKeyFile is not null || credentials.KnownHostsFile is not null)
                {
                    errors.Add("credentials", "credentials.sshKeyFile and credentials.knownHostsFile apply to ssh URLs only.");
                }

                if (credentials.TokenFile is not null && (credentials.UsernameFile is not null || credentials.PasswordFile is not null))
                {
                    errors.Add("credentials", "credentials: set either tokenFile, or usernameFile and passwordFile, not both.");
                }

                if ((credentials.UsernameFile is null) != (credentials.PasswordFile is null))
                {
                    errors.Add("credentials", "credentials: usernameFile and passwordFile go together.");
                }

                // The header is sent up front, so on http:// every request carries the secret in clear.
                var sendsSecret = credentials.TokenFile is not null || credentials.UsernameFile is not null || credentials.PasswordFile is not null;
                if (sendsSecret && !AllowInsecureHttp && Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add("git.url",
                        $"git.url '{GitRemoteUrl.ScrubUserInfo(Url)}' is plain HTTP: the token or password in credentials would cross the network in clear text, "
                        + "readable and replayable by anyone on the way, and go to whoever answers on that address (on a loopback address too: "
                        + "any local user who binds the port first); use https://, or set git.allowInsecureHttp: true to accept that.");
                }

                break;
            case GitTransport.Ssh:
                if (credentials.SshKeyFile is null)
                {
                    errors.Add("credentials.sshKeyFile", "credentials.sshKeyFile (a deploy key) is required for ssh URLs.");
                }

                if (credentials.KnownHostsFile is null)
                {
                    errors.Add("credentials.knownHostsFile", "credentials.knownHostsFile is required for ssh URLs: host keys are checked strictly.");
                }

                if (credentials.TokenFile is not null || credentials.UsernameFile is not null || credentials.PasswordFile is not null)
                {
                    errors.Add("credentials", "credentials.tokenFile, usernameFile and passwordFile apply to http(s) URLs only.");
                }

                break;
            default:
                if (credentials.HasAny)
                {
                    errors.Add("credentials", $"credentials are not used by {transport} URLs; remove them.");
                }

                break;
        }
    }
}

/// <summary>
/// Paths of files holding secrets. Never the secrets themselves: a configuration file is shown, copied
/// and logged more freely than a 0600 secret file. Files are read on every operation, so a rotated
/// token is picked up without a restart. Leading and trailing whitespace (a final newline) is trimmed.
/// </summary>
public sealed record GitCredentials
{
    public static readonly GitCredentials None = new();

    /// <summary>HTTP(S): a token sent as <c>Authorization: Bearer</c>. Default: none.</summary>
    /// <remarks>Hosts that want a token as a basic password (GitHub: user <c>x-access-token</c>, GitLab: <c>oauth2</c>) use <see cref="UsernameFile"/> and <see cref="PasswordFile"/>.</remarks>
    public string? TokenFile { get; init; }

    /// <summary>HTTP(S): the user name for basic authentication; goes with <see cref="PasswordFile"/>. Default: none.</summary>
    public string? UsernameFile { get; init; }

    /// <summary>HTTP(S): the password (or token) for basic authentication. Default: none.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>SSH: the private deploy key (no passphrase; mode 0600). Required for ssh URLs.</summary>
    public string? SshKeyFile { get; init; }

    /// <summary>SSH: the known_hosts file with the server's host key; unknown or changed keys are refused. Required for ssh URLs.</summary>
    public string? KnownHostsFile { get; init; }

    internal bool HasAny => TokenFile is not null || UsernameFile is not null || PasswordFile is not null || SshKeyFile is not null || KnownHostsFile is not null;

    internal void ValidateFiles(GitSourceOptionsErrors errors)
    {
        foreach (var (name, path) in new[]
                 {
                     ("tokenFile", TokenFile), ("usernameFile", UsernameFile), ("passwordFile", PasswordFile),
                     ("sshKeyFile", SshKeyFile), ("knownHostsFile", KnownHostsFile),
                 })
        {
            if (path is null)
            {
                continue;
            }

            if (!Path.IsPathRooted(path))
            {
                errors.Add($"credentials.{name}", $"credentials.{name} '{path}' must be an absolute path.");
            }
            else if (!File.Exists(path))
            {
                errors.Add($"credentials.{name}", $"credentials.{name} '{path}' does not exist.");
            }
        }
    }
}

/// <summary>
/// Which signatures make a commit acceptable. At least one kind of key must be configured. A commit
/// is accepted when its signature verifies against any configured key, SSH or GPG.
/// </summary>
public sealed record SignaturePolicy
{
    /// <summary>
    /// SSH signing keys, in ssh-keygen's allowed_signers format (<c>principal namespaces="git" ssh-ed25519 AAAA...</c>).
    /// Default: none.
    /// </summary>
    public string? AllowedSignersFile { get; init; }

    /// <summary>GPG public keys (armored or binary exports). Imported into a private keyring under the cache directory. Default: none.</summary>
    public IReadOnlyList<string> GpgPublicKeyFiles { get; init; } = [];

    // A record compares a list by reference; a configuration reload must see "same keys" as equal.
    public bool Equals(SignaturePolicy? other) =>
        other is not null && AllowedSignersFile == other.AllowedSignersFile && GpgPublicKeyFiles.SequenceEqual(other.GpgPublicKeyFiles);

    public override int GetHashCode() =>
        GpgPublicKeyFiles.Aggregate(HashCode.Combine(AllowedSignersFile), HashCode.Combine);

    internal void Validate(GitSourceOptionsErrors errors)
    {
        if (AllowedSignersFile is null && GpgPublicKeyFiles.Count == 0)
        {
            errors.Add("git.signatures", "git.signatures needs allowedSignersFile and/or gpgPublicKeyFiles; remove the section to not require signatures.");
        }

        foreach (var path in (AllowedSignersFile is null ? [] : new[] { AllowedSignersFile }).Concat(GpgPublicKeyFiles))
        {
            if (!Path.IsPathRooted(path))
            {
                errors.Add("git.signatures", $"git.signatures: '{path}' must be an absolute path.");
            }
            else if (!File.Exists(path))
            {
                errors.Add("git.signatures", $"git.signatures: '{path}' does not exist.");
            }
        }
    }
}

/// <summary>One problem found by <see cref="GitSourceOptions.ValidateFields"/>.</summary>
/// <param name="Field">The option it is about, as named in <paramref name="Message"/>: <c>git.url</c>, <c>git.branch</c>,
/// <c>git.subPath</c>, <c>git.pollInterval</c>, <c>git.pollJitter</c>, <c>git.fetchTimeout</c>, <c>git.cacheDirectory</c>,
/// <c>git.signatures</c>, <c>credentials</c> (a combination of credential files) or <c>credentials.NAME</c>.</param>
/// <param name="Message">The whole message; it never contains a secret.</param>
public sealed record GitSourceOptionsError(string Field, string Message);

internal sealed class GitSourceOptionsErrors
{
    private readonly List<GitSourceOptionsError> errors = [];

    public IReadOnlyList<GitSourceOptionsError> All => errors;

    public void Add(string field, string message) => errors.Add(new GitSourceOptionsError(field, message));
}
