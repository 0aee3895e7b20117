namespace Berth.Reconciler.Spec;

/// <summary>Host-local inputs to loading: variables that live on the host, never in the repository.</summary>
public sealed record SpecLoadOptions
{
    public static readonly SpecLoadOptions Default = new();

    /// <summary>
    /// Host-local variables for interpolation, highest precedence. Treated as secrets: their values
    /// never appear in an error or any output. Default: empty.
    /// </summary>
    public IReadOnlyDictionary<string, string> HostEnvironment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Host-local env files (dotenv format, outside the repository), read in order; later files win,
    /// and <see cref="HostEnvironment"/> wins over all of them. Secrets, like HostEnvironment. Default: none.
    /// </summary>
    public IReadOnlyList<string> HostEnvFiles { get; init; } = [];

    /// <summary>
    /// Compose `secrets:` and `configs:`: the host directory `file:` may name absolute paths under, and
    /// the key their contents are hashed with. Default: /etc/berth/secrets and a key of this process
    /// only (enough for `berth validate`; the daemon passes the key of its state directory).
    /// </summary>
    public Secrets.Files.FileSourceOptions? FileSources { get; init; }

    /// <summary>
    /// This host's limits on what the desired state may ask for (docs/policy.md); a violation is an
    /// error of the load like an invalid spec, at the offending key. Null (the default): no limits.
    /// </summary>
    public Policy.HostPolicy? Policy { get; init; }

    /// <summary>
    /// This host's age key, for SOPS-encrypted env files (docs/secrets.md). One instance for the
    /// daemon's life: it remembers the key's public recipients. Default: none (an encrypted file is an
    /// error saying how to configure a key).
    /// </summary>
    public Secrets.Sops.AgeKeyFile? AgeKey { get; init; }

    /// <summary>
    /// Whether a load with <paramref name="other"/> reads the same host inputs as one with these options (the same
    /// files, policy, keys), so that its result depends only on the commit and on what <see cref="HostInputs"/> records.
    /// </summary>
    internal bool SameInputsAs(SpecLoadOptions other) =>
        HostEnvFiles.SequenceEqual(other.HostEnvFiles, StringComparer.Ordinal)
        && HostEnvironment.Count == other.HostEnvironment.Count
        && HostEnvironment.All(pair => other.HostEnvironment.TryGetValue(pair.Key, out var value) && value == pair.Value)
        && Equals(Policy, other.Policy)
        && FileSources?.HostDirectory == other.FileSources?.HostDirectory
        && FileSources?.Keyring.Source == other.FileSources?.Keyring.Source
        && AgeKey?.Path == other.AgeKey?.Path;
}
