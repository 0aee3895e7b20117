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
}
