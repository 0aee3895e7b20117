using System.Buffers;
using System.Collections.Immutable;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Spec;

/// <summary>
/// Decides "does this container need recreating?" the way docker compose does: a hash of the
/// normalised desired container config, stamped on the container as a label and kept in berth's state.
/// Never by diffing `docker inspect`: the engine fills in defaults that would look like drift.
/// </summary>
/// <remarks>
/// Only <see cref="ContainerSpec"/> is hashed: replica count, rollout policy, depends_on and pull
/// policy are not, because changing them must not recreate anything. Each field is hashed on its
/// own too, so a plan can say "config changed: environment" by comparing field hashes with the
/// ones recorded when the container was applied.
/// </remarks>
public static class ConfigHasher
{
    // Names in causes follow the Compose keys a user edits, not our C# names.
    private static readonly ImmutableDictionary<string, string> FieldNameOverrides = new Dictionary<string, string>
    {
        [nameof(ContainerSpec.HealthCheck)] = "healthcheck",
        [nameof(ContainerSpec.Mounts)] = "volumes",
        [nameof(ContainerSpec.Limits)] = "deploy.resources.limits",
        [nameof(ContainerSpec.ShmSizeBytes)] = "shm_size",
        [nameof(ContainerSpec.SecurityOpt)] = "security_opt",
        [nameof(ContainerSpec.StopGracePeriod)] = "stop_grace_period",
        [nameof(ContainerSpec.MemorySwapBytes)] = "memswap_limit",
        [nameof(ContainerSpec.MemoryReservationBytes)] = "mem_reservation",
        [nameof(ContainerSpec.DnsOptions)] = "dns_opt",
    }.ToImmutableDictionary();

    // What FieldHashes needs of each property, worked out once per process instead of once per field of
    // every service on every call (issue #16: the reflected [HashedOnlyWhenSet] lookup alone was 13.5 % of
    // the daemon's idle pass). Ordinal order of the property names, as the hashes were pinned.
    private static readonly ImmutableArray<HashedField> HashedFields =
        [.. typeof(ContainerSpec).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.GetIndexParameters().Length == 0 && property.Name != "EqualityContract")
            .OrderBy(property => property.Name, StringComparer.Ordinal)
            .Select(HashedField.Of)];

    // Constant: the front field's hash is the same for every service behind a front.
    private static readonly string FrontHash = Sha256HexPrefix(Encoding.UTF8.GetBytes("front=true"), FieldHashLength);

    private const int FieldHashLength = 16;
    private const int ConfigHashLength = 20;

    /// <summary>The field that says a front holds the service's aliases (<see cref="ServiceSpec.Front"/>).</summary>
    public const string FrontField = "x-berth.front";

    /// <summary>The per-field hashes of a container spec, keyed by Compose-style field name.</summary>
    /// <param name="front">
    /// Behind a front, replicas join their networks without the service's aliases, so they are other
    /// containers. The field is hashed only when set: every other service keeps the hash it had
    /// before fronts existed, so upgrading berth re-creates nothing.
    /// </param>
    public static ImmutableSortedDictionary<string, string> FieldHashes(ContainerSpec container, bool front = false)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        // One buffer for every field: the JSON is hashed as UTF-8 bytes, never turned into a string (the bytes
        // are those JsonSerializer.Serialize(value, type, context) encodes, which the hashes were pinned with).
        var json = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(json);
        foreach (var field in HashedFields)
        {
            var value = field.Property.GetValue(container);
            if (field.OnlyWhenSet && IsUnset(value))
            {
                // A field added later, not used here: hashing its default would re-create every container on upgrade.
                continue;
            }

            json.ResetWrittenCount();
            writer.Reset();
            JsonSerializer.Serialize(writer, value, field.JsonType);
            writer.Flush();
            builder[field.Name] = Sha256HexPrefix(json.WrittenSpan, FieldHashLength);
        }

        if (front)
        {
            builder[FrontField] = FrontHash;
        }

        return builder.ToImmutable();
    }

    /// <summary>The config hash: one value that changes exactly when some field hash changes.</summary>
    public static string ConfigHash(ImmutableSortedDictionary<string, string> fieldHashes)
    {
        var text = new StringBuilder();
        foreach (var (field, hash) in fieldHashes)
        {
            text.Append(field).Append('=').Append(hash).Append('\n');
        }

        return Sha256HexPrefix(Encoding.UTF8.GetBytes(text.ToString()), ConfigHashLength);
    }

    /// <summary>The fields whose hashes differ (or exist on one side only), sorted.</summary>
    public static ImmutableArray<string> ChangedFields(
        IReadOnlyDictionary<string, string> previous, IReadOnlyDictionary<string, string> current)
    {
        return [.. previous.Keys.Union(current.Keys)
            .Where(field => !previous.TryGetValue(field, out var before) || !current.TryGetValue(field, out var after) || before != after)
            .Order(StringComparer.Ordinal)];
    }

    private static bool IsUnset(object? value) => value switch
    {
        null => true,
        bool flag => !flag,
        ImmutableArray<string> items => items.IsDefaultOrEmpty,
        ImmutableArray<FileMountSpec> files => files.IsDefaultOrEmpty,
        _ => false,
    };

    private static string FieldName(string propertyName) =>
        FieldNameOverrides.TryGetValue(propertyName, out var name) ? name : JsonNamingPolicy.SnakeCaseLower.ConvertName(propertyName);

    /// <summary>The first <paramref name="hexChars"/> (even) lowercase hex digits of the SHA-256 of <paramref name="bytes"/>.</summary>
    private static string Sha256HexPrefix(ReadOnlySpan<byte> bytes, int hexChars)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash[..(hexChars / 2)]);
    }

    /// <param name="Property">The <see cref="ContainerSpec"/> property.</param>
    /// <param name="Name">Its Compose-style field name, as in causes ("config changed: environment").</param>
    /// <param name="OnlyWhenSet">It carries <see cref="HashedOnlyWhenSetAttribute"/>.</param>
    /// <param name="JsonType">The source-generated serializer of its type.</param>
    private sealed record HashedField(PropertyInfo Property, string Name, bool OnlyWhenSet, JsonTypeInfo JsonType)
    {
        public static HashedField Of(PropertyInfo property) => new(
            property,
            FieldName(property.Name),
            property.IsDefined(typeof(HashedOnlyWhenSetAttribute)),
            ConfigHashJsonContext.Default.GetTypeInfo(property.PropertyType)
                ?? throw new InvalidOperationException($"ConfigHashJsonContext has no [JsonSerializable] entry for {property.PropertyType} (ContainerSpec.{property.Name})"));
    }
}
