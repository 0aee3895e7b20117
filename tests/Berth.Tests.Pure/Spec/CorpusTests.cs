using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Spec;

/// <summary>
/// Realistic Compose files (Spec/Corpus): they load without errors and hash stably; the hash follows
/// what recreates a container and nothing else.
/// </summary>
public sealed class CorpusTests
{
    internal static IEnumerable<string> CorpusFiles() =>
        Directory.GetFiles(Path.Combine(SpecLoaderTests.RepositoryRoot(), "tests", "Berth.Tests.Pure", "Spec", "Corpus"), "*.yaml").Order(StringComparer.Ordinal);

    public static TheoryData<string> CorpusNames() => [.. CorpusFiles().Select(file => Path.GetFileName(file))];

    private static StackSpec Load(string yaml)
    {
        var result = SpecTestRepository.Compose(yaml).LoadHost();
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        return Assert.Single(result.State!.Stacks);
    }

    private static string Read(string name) => File.ReadAllText(CorpusFiles().Single(file => Path.GetFileName(file) == name));

    private static Dictionary<string, string> Hashes(StackSpec stack) =>
        stack.Services.ToDictionary(service => service.Name, service => service.ConfigHash);

    [Fact]
    public void Corpus_HasAtLeastFiveFiles()
    {
        Assert.True(CorpusFiles().Count() >= 5);
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void Corpus_File_LoadsWithoutErrorsAndHashesStably(string name)
    {
        var first = Load(Read(name));
        var second = Load(Read(name));

        Assert.NotEmpty(first.Services);
        Assert.Equal(Hashes(first), Hashes(second));
        Assert.All(first.Services, service => Assert.Equal(ConfigHasherFieldCount, service.FieldHashes.Count));
    }

    // The corpus uses none of the keys hashed only when set (added after hashes were pinned).
    private static readonly int ConfigHasherFieldCount = typeof(ContainerSpec).GetProperties()
        .Count(property => property.Name != "EqualityContract" && !property.IsDefined(typeof(HashedOnlyWhenSetAttribute), inherit: false));

    [Fact]
    public void Hash_ReorderedKeysAndServices_IsUnchanged()
    {
        var original = Load("""
            name: order
            services:
              web:
                image: nginx
                environment: { B: "2", A: "1" }
                ports: ["80", "443"]
                labels: [b=2, a=1]
                cap_add: [NET_ADMIN, CHOWN]
                networks: [front, back]
              db: { image: postgres }
            networks: { front: {}, back: {} }
            """);
        var reordered = Load("""
            services:
              db: { image: postgres }
              web:
                networks: [back, front]
                cap_add: [CHOWN, NET_ADMIN]
                labels: { a: "1", b: "2" }
                ports: ["443", "80"]
                environment: [A=1, B=2]
                image: nginx
            networks: { back: {}, front: {} }
            name: order
            """);

        Assert.Equal(Hashes(original), Hashes(reordered));
    }

    [Fact]
    public void Hash_ShortAndLongSyntax_IsUnchanged()
    {
        var shortSyntax = Load("""
            name: syntax
            services:
              web:
                image: nginx
                command: nginx -g 'daemon off;'
                ports: ["127.0.0.1:8080:80"]
                volumes: ["data:/data:ro"]
                networks: [front]
                depends_on: [db]
                healthcheck: { test: curl -f http://localhost/ }
                ulimits: { nofile: 1024 }
                extra_hosts: ["db.local:10.0.0.2"]
              db: { image: postgres }
            networks: { front: {} }
            volumes: { data: {} }
            """);
        var longSyntax = Load("""
            name: syntax
            services:
              web:
                image: nginx
                command: [nginx, -g, daemon off;]
                ports: [{ target: 80, published: 8080, host_ip: 127.0.0.1, protocol: tcp }]
                volumes: [{ type: volume, source: data, target: /data, read_only: true }]
                networks: { front: {} }
                depends_on: { db: { condition: service_started } }
                healthcheck: { test: [CMD-SHELL, curl -f http://localhost/], interval: 30s, retries: 3 }
                ulimits: { nofile: { soft: 1024, hard: 1024 } }
                extra_hosts: { db.local: 10.0.0.2 }
              db: { image: postgres }
            networks: { front: {} }
            volumes: { data: {} }
            """);

        Assert.Equal(Hashes(shortSyntax), Hashes(longSyntax));
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void Hash_ReplicasOrRolloutChanged_IsUnchanged(string name)
    {
        var yaml = Read(name);
        var original = Load(yaml);
        var changed = Load(yaml
            .Replace("replicas: 4", "replicas: 7", StringComparison.Ordinal)
            .Replace("replicas: 3", "replicas: 1", StringComparison.Ordinal)
            .Replace("delay: 10s", "delay: 1m", StringComparison.Ordinal)
            .Replace("order: stop-first", "order: stop-first\n        monitor: 42s", StringComparison.Ordinal)
            .Replace("failure_action: rollback", "failure_action: pause", StringComparison.Ordinal));

        Assert.Equal(Hashes(original), Hashes(changed));
    }

    [Fact]
    public void Hash_ChangedEnvironment_ChangesThatServiceOnly()
    {
        var yaml = Read("web-cache-db.yaml");
        var original = Load(yaml);
        var changed = Load(yaml.Replace("RAILS_ENV: production", "RAILS_ENV: staging", StringComparison.Ordinal));

        // The anchor is shared by web and migrate: both change, cache and db do not.
        Assert.NotEqual(Hashes(original)["web"], Hashes(changed)["web"]);
        Assert.NotEqual(Hashes(original)["migrate"], Hashes(changed)["migrate"]);
        Assert.Equal(Hashes(original)["db"], Hashes(changed)["db"]);
        Assert.Equal(Hashes(original)["cache"], Hashes(changed)["cache"]);
        var web = changed.Services.Single(service => service.Name == "web");
        Assert.Equal(["environment"], Berth.Reconciler.Spec.ConfigHasher.ChangedFields(original.Services.Single(service => service.Name == "web").FieldHashes, web.FieldHashes).ToArray());
    }

    [Fact]
    public void Hash_ChangedImageVariable_ChangesTheHash()
    {
        var yaml = Read("queue-workers.yaml");

        var original = Load(yaml);
        var changed = Load(yaml.Replace("${WORKER_TAG:-1.8.0}", "${WORKER_TAG:-1.8.1}", StringComparison.Ordinal));

        Assert.NotEqual(Hashes(original)["worker"], Hashes(changed)["worker"]);
        Assert.Equal(Hashes(original)["queue"], Hashes(changed)["queue"]);
    }
}
