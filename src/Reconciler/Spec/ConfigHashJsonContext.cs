using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Spec;

/// <summary>
/// The JSON that <see cref="ConfigHasher"/> hashes, generated at build time instead of by reflection
/// (issue #16): no serializer is built at run time on a CLI run, and trimming or Native AOT cannot break it.
/// </summary>
/// <remarks>
/// The output must stay byte for byte what the reflection serializer (default options plus a
/// <see cref="JsonStringEnumConverter"/>) wrote when the hashes were pinned, or every container would be
/// re-created at upgrade: ConfigHashJsonContextTests compares the two on every field of every corpus file.
/// One entry per property type of <see cref="ContainerSpec"/>: a property of a new type needs an entry here
/// (ConfigHasher throws without it, and the tests name the type).
/// </remarks>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(long?))]
[JsonSerializable(typeof(TimeSpan?))]
[JsonSerializable(typeof(ImmutableArray<string>))]
[JsonSerializable(typeof(ImmutableArray<string>?))]
[JsonSerializable(typeof(ImmutableSortedDictionary<string, string>))]
[JsonSerializable(typeof(ImmutableArray<PortSpec>))]
[JsonSerializable(typeof(ImmutableArray<MountSpec>))]
[JsonSerializable(typeof(ImmutableArray<ServiceNetwork>))]
[JsonSerializable(typeof(ImmutableArray<UlimitSpec>))]
[JsonSerializable(typeof(ImmutableArray<FileMountSpec>))]
[JsonSerializable(typeof(HealthCheckSpec))]
[JsonSerializable(typeof(ResourceLimits))]
[JsonSerializable(typeof(LoggingSpec))]
internal sealed partial class ConfigHashJsonContext : JsonSerializerContext;
