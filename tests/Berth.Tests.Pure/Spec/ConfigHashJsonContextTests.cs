using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Spec;

/// <summary>
/// ConfigHasher hashes source-generated JSON (<see cref="ConfigHashJsonContext"/>); the pinned hashes were made
/// with the reflection serializer. The two must write the same bytes for every field, or upgrading berth would
/// re-create every container: compared here on every service of every corpus file that loads.
/// </summary>
public sealed class ConfigHashJsonContextTests
{
    // What ConfigHasher used before the source-generated context: default options plus string enums.
    private static readonly JsonSerializerOptions ReflectionJson = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly IReadOnlyList<System.Reflection.PropertyInfo> ContainerProperties =
        [.. typeof(ContainerSpec).GetProperties().Where(property => property.GetIndexParameters().Length == 0 && property.Name != "EqualityContract")];

    [Fact]
    public void Context_EveryContainerSpecPropertyType_HasMetadata()
    {
        var missing = ContainerProperties
            .Where(property => ConfigHashJsonContext.Default.GetTypeInfo(property.PropertyType) is null)
            .Select(property => $"{property.Name}: {property.PropertyType}")
            .ToList();

        Assert.True(missing.Count == 0, "no JsonSerializable entry for: " + string.Join(", ", missing));
    }

    private static IEnumerable<string> ComposePaths() =>
        CorpusTests.CorpusFiles().Concat(
            CompatibilityCorpusTests.ComposeFiles().Select(relative => Path.Combine(CompatibilityCorpusTests.CorpusRoot(), relative)));

    public static TheoryData<string> ComposeFiles() => [.. ComposePaths()];

    [Theory]
    [MemberData(nameof(ComposeFiles))]
    public void CorpusFile_EveryHashedField_SerialisesAsTheReflectionSerializerDid(string path)
    {
        var result = SpecTestRepository.Compose(File.ReadAllText(path)).LoadHost();
        // Files berth refuses (or that need files beside them) have no services to hash: nothing to compare.
        var services = result.State?.AllServices ?? [];

        foreach (var service in services)
        {
            foreach (var property in ContainerProperties)
            {
                var value = property.GetValue(service.Container);
                var generated = JsonSerializer.Serialize(value, property.PropertyType, ConfigHashJsonContext.Default);
                var reflected = JsonSerializer.Serialize(value, property.PropertyType, ReflectionJson);
                Assert.True(reflected == generated, $"{Path.GetFileName(path)} {service.QualifiedName} {property.Name}:\n reflection: {reflected}\n generated:  {generated}");
            }
        }
    }

    [Fact]
    public void ServiceWithEveryKindOfField_EveryHashedField_SerialisesAsTheReflectionSerializerDid()
    {
        // What the corpus may not combine: every nested record, nullable and enum of ContainerSpec set.
        var result = EveryKindOfFieldService.Load();
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var container = Assert.Single(result.State!.AllServices).Container;

        foreach (var property in ContainerProperties)
        {
            var value = property.GetValue(container);
            var generated = JsonSerializer.Serialize(value, property.PropertyType, ConfigHashJsonContext.Default);
            var reflected = JsonSerializer.Serialize(value, property.PropertyType, ReflectionJson);
            Assert.True(reflected == generated, $"{property.Name}:\n reflection: {reflected}\n generated:  {generated}");
        }
    }

    [Fact]
    public void Corpus_LoadsEnoughServicesToCompare()
    {
        // The comparison above is only as good as the services it sees: most corpus files must load.
        var loaded = ComposePaths().Count(path => SpecTestRepository.Compose(File.ReadAllText(path)).LoadHost().State?.AllServices.Any() == true);

        Assert.True(loaded >= 30, $"{loaded} corpus files loaded with services");
    }
}
