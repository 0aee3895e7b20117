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
        var result = SpecTestRepository.Compose("""
            services:
              all:
                image: nginx:1
                entrypoint: [/bin/sh, -c]
                command: [echo, hi]
                environment: { A: "1" }
                labels: { l: v }
                ports: ["127.0.0.1:8080:80/tcp", "53:53/udp"]
                expose: ["9000"]
                volumes:
                  - data:/data:ro
                  - ./conf:/conf:ro,z
                  - type: bind
                    source: ./conf
                    target: /conf2
                    bind: { create_host_path: true, propagation: rprivate }
                  - type: tmpfs
                    target: /scratch
                    tmpfs: { size: 1048576 }
                networks:
                  back: { aliases: [api], ipv4_address: 10.230.0.10 }
                healthcheck: { test: ["CMD", "true"], interval: 5s, timeout: 2s, retries: 4, start_period: 1s }
                deploy: { resources: { limits: { cpus: "0.5", memory: 64M, pids: 100 } } }
                stop_grace_period: 20s
                init: true
                read_only: true
                cap_add: [NET_ADMIN]
                ulimits: { nofile: { soft: 1024, hard: 2048 } }
                logging: { driver: json-file, options: { max-size: 10m } }
                tmpfs: [/run]
                shm_size: 64m
                security_opt: ["no-new-privileges:true"]
                stdin_open: true
                tty: true
                memswap_limit: 128m
                mem_reservation: 32m
                cpu_shares: 512
                dns_search: [example.org]
                platform: linux/amd64
                secrets: [token]
                configs: [settings]
            networks:
              back: { ipam: { config: [{ subnet: 10.230.0.0/24 }] } }
            volumes:
              data: {}
            secrets:
              token: { file: ./token.txt }
            configs:
              settings: { file: ./settings.txt }
            """).With("token.txt", "t0ken").With("settings.txt", "x=1").With("conf/app.conf", "a=b").LoadHost();
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
