using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Berth.Reconciler.Spec.Model;

/// <summary>Compose `secrets:` land under /run/secrets; `configs:` at the root of the container (or any absolute target).</summary>
public enum FileMountKind
{
    Secret,
    Config,
}

/// <summary>
/// One `secrets:` or `configs:` reference of a service, resolved: the file berth writes into its tmpfs
/// directory and binds read-only into the container (docs/secrets.md, "Compose secrets and configs").
/// </summary>
/// <param name="Name">The key under the top-level `secrets:` / `configs:`.</param>
/// <param name="Target">Absolute path in the container: /run/secrets/&lt;target or name&gt; for a secret, /&lt;name&gt; or the target for a config.</param>
/// <param name="Uid">Owner of the file; null: root (0).</param>
/// <param name="Gid">Group of the file; null: root (0).</param>
/// <param name="Mode">Permission bits; null: 0400 (read by its owner only).</param>
/// <param name="ContentKey">
/// A keyed hash (HMAC-SHA256 with the host's own key, <see cref="Secrets.Files.ContentKeyring"/>) of the
/// content: it is hashed into the config hash so a changed content rolls the service, and it is the only
/// trace of the content in the spec, the state file and the plan. Never a plain hash: a plain hash of a
/// short password can be brute-forced.
/// </param>
public sealed record FileMountSpec(FileMountKind Kind, string Name, string Target, int? Uid, int? Gid, int? Mode, string ContentKey)
{
    /// <summary>Default permission bits of a materialised file.</summary>
    public const int DefaultMode = 0x100; // 0400

    /// <summary>
    /// The bytes, in memory only: never serialised (state file, status, plan JSON) and never part of
    /// the config hash (<see cref="ContentKey"/> stands for them). Null when the spec was read back from
    /// the state file: then only a generation directory that still exists can serve it (MountedFileStore).
    /// </summary>
    [JsonIgnore]
    public FileContent? Content { get; init; }

    /// <summary>The mode the file gets: <see cref="Mode"/>, else <see cref="DefaultMode"/>. Not stored (derived).</summary>
    [JsonIgnore]
    public int EffectiveMode => Mode ?? DefaultMode;
}

/// <summary>The bytes of a secret or config. Prints as "(hidden)" so no record's ToString can show them.</summary>
public sealed class FileContent(ImmutableArray<byte> bytes)
{
    public ImmutableArray<byte> Bytes { get; } = bytes;

    public override string ToString() => "(hidden)";
}
