using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Model;

/// <summary>
/// The config hash decides "recreate?": it must be a function of the spec, whatever way the spec was
/// made. A `with` copy used to keep the hash of the spec it was copied from.
/// </summary>
public sealed class ServiceSpecTests
{
    private const string Web = "image: busybox\nenvironment: { MODE: a }";

    [Fact]
    public void With_ChangedContainer_HashesTheNewContainer()
    {
        var original = LoadService(Web);
        var expected = LoadService("image: busybox\nenvironment: { MODE: b }");

        var changed = original with { Container = original.Container with { Environment = original.Container.Environment.SetItem("MODE", "b") } };

        Assert.NotEqual(original.ConfigHash, changed.ConfigHash);
        Assert.Equal(expected.ConfigHash, changed.ConfigHash);
        Assert.Equal(expected.FieldHashes, changed.FieldHashes);
        Assert.Equal(["environment"], ConfigHasher.ChangedFields(original.FieldHashes, changed.FieldHashes).ToArray());
    }

    [Fact]
    public void With_ChangedContainerAfterTheHashWasRead_HashesTheNewContainer()
    {
        var original = LoadService(Web);
        _ = original.ConfigHash; // whatever is cached for the original must not travel with the copy

        var changed = original with { Container = original.Container with { Image = "busybox:2" } };

        Assert.Equal(LoadService("image: busybox:2\nenvironment: { MODE: a }").ConfigHash, changed.ConfigHash);
        Assert.Equal(LoadService(Web).ConfigHash, original.ConfigHash);
    }

    [Fact]
    public void With_Front_HashesTheFront()
    {
        var original = LoadService(Web);

        var fronted = original with { Front = true };

        Assert.Equal(LoadService(Web + "\nx-berth: { front: true }").ConfigHash, fronted.ConfigHash);
        Assert.Contains(ConfigHasher.FrontField, fronted.FieldHashes.Keys);
        Assert.DoesNotContain(ConfigHasher.FrontField, original.FieldHashes.Keys);
    }

    [Fact]
    public void With_ReplicasOrRollout_KeepsTheHash()
    {
        var original = LoadService(Web);

        var scaled = original with { Replicas = 3, Update = original.Update with { Parallelism = 2 }, Drain = TimeSpan.FromSeconds(2) };

        Assert.Equal(original.ConfigHash, scaled.ConfigHash);
        Assert.Equal(LoadService(Web + "\ndeploy: { replicas: 3 }").ConfigHash, scaled.ConfigHash);
    }

    [Fact]
    public void Equality_DoesNotDependOnWhetherTheHashWasRead()
    {
        var read = LoadService(Web);
        var notRead = read with { };
        _ = read.ConfigHash;

        Assert.Equal(read, notRead);
        Assert.Equal(read.GetHashCode(), notRead.GetHashCode());
    }

    // SameOutsideContainer: whether a no-op pass may keep a service's stored record (HostReconciler).

    private static ServiceSpec ServiceWithDependency() =>
        Berth.Tests.Shared.TestSpecs.Service("shop", "web", Berth.Tests.Shared.TestSpecs.WebContainer(), 2,
            new ServiceDependency("db", DependencyCondition.ServiceHealthy, Restart: true, Required: true)) with { Drain = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task SameOutsideContainer_SpecReadBackFromTheStateFile_IsTheSame()
    {
        var root = Directory.CreateTempSubdirectory("berth-spec-test-").FullName;
        try
        {
            var service = Berth.Tests.Shared.TestSpecs.WithEnvironment(ServiceWithDependency(), "MODE", "a");
            var applied = new Berth.Reconciler.State.AppliedService(service.ConfigHash, service.FieldHashes, service.Container.Image, null, "abc", System.Collections.Immutable.ImmutableSortedDictionary<int, string>.Empty, service);
            var empty = Berth.Reconciler.State.AppliedState.Empty("h");
            await new Berth.Reconciler.State.StateStore(root).SaveAsync(empty with { Services = empty.Services.Add(service.QualifiedName, applied) }, CancellationToken.None);

            var read = (await new Berth.Reconciler.State.StateStore(root).LoadAsync("h", CancellationToken.None)).Services[service.QualifiedName].Spec!;

            Assert.NotSame(service.DependsOn.First(), read.DependsOn.First());
            Assert.NotEqual(service.Container.Environment, read.Container.Environment); // hashed in the file
            Assert.True(read.SameOutsideContainer(service));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void SameOutsideContainer_AnyFieldButTheContainerChanged_IsNotTheSame()
    {
        var service = ServiceWithDependency();
        var changes = new Dictionary<string, ServiceSpec>
        {
            [nameof(ServiceSpec.Stack)] = service with { Stack = "other" },
            [nameof(ServiceSpec.Name)] = service with { Name = "other" },
            [nameof(ServiceSpec.Replicas)] = service with { Replicas = 3 },
            [nameof(ServiceSpec.Update)] = service with { Update = service.Update with { Parallelism = 2 } },
            [nameof(ServiceSpec.Rollback)] = service with { Rollback = service.Rollback with { Monitor = TimeSpan.FromSeconds(9) } },
            [nameof(ServiceSpec.DependsOn)] = service with { DependsOn = [service.DependsOn[0] with { Restart = !service.DependsOn[0].Restart }] },
            [nameof(ServiceSpec.PullPolicy)] = service with { PullPolicy = PullPolicy.Always },
            [nameof(ServiceSpec.Drain)] = service with { Drain = TimeSpan.FromSeconds(3) },
            [nameof(ServiceSpec.JobTimeout)] = service with { JobTimeout = TimeSpan.FromMinutes(1) },
            [nameof(ServiceSpec.Front)] = service with { Front = true },
            [nameof(ServiceSpec.Job)] = service with { Job = true },
        };

        // Every settable property but the container: a new one must be added here (and, if it is a
        // collection compared by reference, to SameOutsideContainer).
        var settable = typeof(ServiceSpec).GetProperties().Where(property => property.SetMethod is not null && property.Name != nameof(ServiceSpec.Container)).Select(property => property.Name);
        Assert.Equal(settable.Order(StringComparer.Ordinal), changes.Keys.Order(StringComparer.Ordinal));
        Assert.All(changes, change => Assert.False(change.Value.SameOutsideContainer(service), change.Key));
        Assert.True((service with { Container = service.Container with { Image = "other" } }).SameOutsideContainer(service));
    }
}
