using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

/// <summary>
/// The config hashes of the example repository, pinned. A container is re-created exactly when its
/// config hash changes, so a change to how berth hashes (a renamed model field, another JSON shape,
/// a new default) would silently replace every container of every host on upgrade. If this test
/// fails on purpose, say so in the release notes ("upgrading re-creates all containers") and update
/// the pins.
/// </summary>
public sealed class ConfigHashPinTests
{
    [Fact]
    public void ExampleRepository_ConfigHashes_AreThePinnedOnes()
    {
        var result = SpecLoader.LoadHost(Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"), "demo");
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));

        var hashes = result.State!.AllServices.ToDictionary(service => service.QualifiedName, service => service.ConfigHash);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["shop/db"] = "47f29886ab668246d0dc",
                ["shop/web"] = "797e659700f36ba8fa8d",
                ["shop/worker"] = "72a6e7dc47f330ffa2c2",
            },
            hashes);
    }
}
