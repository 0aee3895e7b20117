using System.Net;
using Berth.Daemon.Loop;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Configuration;

// The daemon's configuration (/etc/berth/berth.yaml) after validation: immutable records. The YAML is
// read node by node (ConfigLoader) rather than deserialised, so that every error carries file:line:column.

/// <summary>Everything `berth daemon` is configured with.</summary>
/// <param name="ConfigFile">The file it was read from (absolute), for messages.</param>
/// <param name="Host">This host's identity in the desired-state repository. Default: the machine's hostname.</param>
/// <param name="Listen">Where the HTTP listener binds. Default 127.0.0.1:9750.</param>
/// <param name="StateDir">berth's own state (its git clone, what it applied). Default /var/lib/berth.</param>
/// <param name="DockerHost">Docker Engine endpoint; null: $DOCKER_HOST, else unix:///var/run/docker.sock.</param>
/// <param name="LogLevel">Minimum log level. Default Information.</param>
/// <param name="Http">Who may use the HTTP API (config section <c>http:</c>).</param>
public sealed record DaemonConfig(
    string ConfigFile,
    string Host,
    IPEndPoint Listen,
    string StateDir,
    string? DockerHost,
    LogLevel LogLevel,
    ReconcileLoopOptions Reconcile,
    GitSourceSettings Source,
    WebhookSettings Webhooks,
    SpecSettings Spec,
    HttpSettings Http)
{
    public const string DefaultPath = "/etc/berth/berth.yaml";
    public const int DefaultPort = 9750;
    public const string DefaultStateDir = "/var/lib/berth";

    /// <summary>
    /// `policy:`: this host's limits on what a commit may ask for (docs/policy.md); a commit that
    /// violates it is refused like an invalid one. Null (no `policy:` section, the default): no limits.
    /// </summary>
    public Berth.Reconciler.Policy.HostPolicy? Policy { get; init; }

    /// <summary>`forge:`: where commit statuses go (docs/fleet.md). Null (the default): none are sent.</summary>
    public ForgeSettings? Forge { get; init; }

    /// <summary>`commitStatus:`: how this host reports on commits (with <see cref="Forge"/>).</summary>
    public CommitStatusSettings CommitStatus { get; init; } = CommitStatusSettings.Default;

    /// <summary>`notifications:`: where events worth a person's attention go. Null (the default): nowhere.</summary>
    public NotificationSettings? Notifications { get; init; }

    /// <summary>
    /// `waves:`: where this host asks how the earlier waves did with a commit (docs/fleet.md, "Waves").
    /// Null (the default): nowhere, so a host of wave 2 or later holds every new commit.
    /// </summary>
    public WaveGateSettings? Waves { get; init; }

    /// <summary>`images:`: image garbage collection (docs/images.md).</summary>
    public ImageSettings Images { get; init; } = new(ImageSettings.DefaultGcInterval);

    /// <summary>`registries:`: credentials and CAs for pulls and registry checks (docs/images.md). Default: root's Docker config.json, no extra CA.</summary>
    public RegistrySettings Registries { get; init; } = RegistrySettings.Default;
}


/// <summary>The `images:` section.</summary>
/// <param name="GcInterval">
/// How often the daemon removes the images it pulled and no longer uses, after a pass (`gcInterval`;
/// docs/images.md). Zero: never (then only `berth gc`). Default 24 h.
/// </param>
public sealed record ImageSettings(TimeSpan GcInterval)
{
    public static readonly TimeSpan DefaultGcInterval = TimeSpan.FromHours(24);
}


/// <summary>Where pulls and registry checks find credentials and CAs (config section <c>registries:</c>).</summary>
/// <param name="ConfigFile">A Docker client config.json (auths, credHelpers, credsStore), read on every pull. Default /root/.docker/config.json; may be absent.</param>
/// <param name="CaFiles">Registry (host:port) -> PEM CA file for berth's own manifest checks; the engine's pulls use /etc/docker/certs.d, which berth reads too.</param>
public sealed record RegistrySettings(string ConfigFile, IReadOnlyDictionary<string, string> CaFiles)
{
    public static readonly RegistrySettings Default = new(Berth.Reconciler.Images.DockerConfigCredentials.DefaultPath, new Dictionary<string, string>());

    public bool Equals(RegistrySettings? other) => other is not null && ConfigFile == other.ConfigFile
        && CaFiles.Count == other.CaFiles.Count && CaFiles.All(entry => other.CaFiles.TryGetValue(entry.Key, out var file) && file == entry.Value);

    public override int GetHashCode() => HashCode.Combine(ConfigFile, CaFiles.Count);
}

/// <summary>Where the desired state comes from (config section <c>source:</c>). Read by the git source.</summary>
/// <param name="Url">Clone URL: https://, http://, ssh://, file://, scp-like user@host:path, or an absolute path.</param>
/// <param name="Branch">The branch to follow. Default "main". Webhook pushes to other branches are ignored.</param>
/// <param name="Path">Sub-directory of the repository holding the desired state; "" for the root.</param>
/// <param name="FetchTimeout">Hard limit for one remote check plus fetch; the git processes are killed after it. Default 60 s; 1 s to 1 h.</param>
public sealed record GitSourceSettings(
    string Url,
    string Branch,
    string Path,
    GitCredentialFiles Credentials,
    SignatureSettings Signatures,
    TimeSpan FetchTimeout)
{
    public static readonly TimeSpan DefaultFetchTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// `source.allowInsecureHttp`: lets credentials go to an http:// URL in clear text. Default false
    /// (refused at load, loopback included); only for an http:// URL.
    /// </summary>
    public bool AllowInsecureHttp { get; init; }
}

/// <summary>Credentials, each read from a file (absolute paths after loading; null when not configured).</summary>
/// <param name="UsernameFile">HTTP(S) user name.</param>
/// <param name="PasswordFile">HTTP(S) password or access token.</param>
/// <param name="SshKeyFile">SSH private key.</param>
/// <param name="KnownHostsFile">SSH known_hosts to check the server against.</param>
/// <param name="TokenFile">HTTPS: a bearer token (sent as an Authorization header, never in the URL).</param>
public sealed record GitCredentialFiles(string? UsernameFile, string? PasswordFile, string? SshKeyFile, string? KnownHostsFile, string? TokenFile = null);

public enum SignaturePolicy
{
    /// <summary>Commits are applied whether signed or not.</summary>
    None,
    /// <summary>Only commits signed by a key in the allowed-signers file or the GPG key file are applied.</summary>
    Required,
}

/// <param name="AllowedSignersFile">SSH signing keys, in ssh-keygen's allowed_signers format.</param>
/// <param name="GpgKeyFile">GPG public keys (an armored or binary export; may hold several keys).</param>
/// <remarks>
/// With Policy Required, at least one of the two must be set. Keys without a `policy:` line mean
/// Required (Flux's habit: configured keys are meant to be checked); `policy: none` switches it off.
/// </remarks>
public sealed record SignatureSettings(SignaturePolicy Policy, string? AllowedSignersFile, string? GpgKeyFile);

/// <summary>Webhook receivers; a provider without a secret is disabled (its endpoint answers 404).</summary>
public sealed record WebhookSettings(WebhookSecret? GitHub, WebhookSecret? GitLab, WebhookSecret? Gitea);

/// <summary>Host-local inputs to loading the desired state (config section <c>spec:</c>).</summary>
/// <param name="HostEnvFiles">
/// Env files on this host (dotenv format, absolute paths after loading), read on every pass in order, later
/// files winning; their variables interpolate `${VAR}` in the repository like `berth apply --host-env-file`.
/// Secrets: values never appear in a message. Default: none.
/// </param>
/// <param name="AgeKeyFile">
/// This host's age identity file (absolute path after loading, mode 0600 or 0400), which decrypts
/// SOPS-encrypted env files of the repository (docs/secrets.md). Default: none.
/// </param>
public sealed record SpecSettings(IReadOnlyList<string> HostEnvFiles, string? AgeKeyFile = null)
{
    public static readonly SpecSettings None = new([]);

    /// <summary>
    /// `spec.hostSecretsDirectory`: the only host directory a Compose secret or config may name an
    /// absolute `file:` under (a commit must not copy any host file into a container). Default /etc/berth/secrets.
    /// </summary>
    public string HostSecretsDirectory { get; init; } = Reconciler.Secrets.Files.FileSourceOptions.DefaultHostDirectory;

    /// <summary>
    /// `spec.secretFilesDirectory`: where the contents of secrets and configs are written for the containers;
    /// must be on a tmpfs (checked at start). Default /run/berth/files.
    /// </summary>
    public string SecretFilesDirectory { get; init; } = Reconciler.Secrets.Files.MountedFileStore.DefaultRoot;

    // A record compares a list by reference; two configs with the same files are equal.
    public bool Equals(SpecSettings? other) => other is not null && HostEnvFiles.SequenceEqual(other.HostEnvFiles) && AgeKeyFile == other.AgeKeyFile
        && HostSecretsDirectory == other.HostSecretsDirectory && SecretFilesDirectory == other.SecretFilesDirectory;

    public override int GetHashCode() => HashCode.Combine(HostEnvFiles.Aggregate(0, HashCode.Combine), AgeKeyFile);
}

/// <summary>Access to the HTTP API (config section <c>http:</c>).</summary>
/// <param name="TokenFile">
/// The API token: a file the daemon reads at start (absolute path after loading). Null (the default):
/// the daemon creates a fresh random token at each start in <c>&lt;stateDir&gt;/http-token</c>, mode 0600,
/// which `berth sync` and `berth status` read when run as root.
/// </param>
/// <param name="AllowedHosts">
/// Host names (besides localhost and IP addresses of the listener) accepted in a request's Host header,
/// e.g. the name a reverse proxy forwards. Default: none. A name an attacker's DNS can point at the
/// listener would let a web page read /status (DNS rebinding): list only names you control.
/// </param>
public sealed record HttpSettings(string? TokenFile, IReadOnlyList<string> AllowedHosts)
{
    public static readonly HttpSettings Default = new(null, []);

    /// <summary>Shorter tokens are refused at start: the token is the only thing between a local user and `/sync`.</summary>
    public const int MinimumTokenLength = 16;

    // A record compares a list by reference; two configs with the same names are equal.
    public bool Equals(HttpSettings? other) =>
        other is not null && TokenFile == other.TokenFile && AllowedHosts.SequenceEqual(other.AllowedHosts, StringComparer.OrdinalIgnoreCase);

    public override int GetHashCode() => HashCode.Combine(TokenFile, AllowedHosts.Count);
}
