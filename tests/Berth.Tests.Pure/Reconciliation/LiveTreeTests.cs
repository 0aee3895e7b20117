using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Shared;

namespace Berth.Tests.Reconciliation;

/// <summary>The copy of the last applied revision (what a failed rollout goes back to).</summary>
public sealed class LiveTreeTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "berth-livetree-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task MarkApplied_TreeWithTwoLinksToTheirOwnDirectory_CopiesTheLinksAsLinks()
    {
        var export = Path.Combine(root, "export");
        Directory.CreateDirectory(Path.Combine(export, "conf"));
        File.WriteAllText(Path.Combine(export, "conf", "app.conf"), "x");
        File.CreateSymbolicLink(Path.Combine(export, "conf", "a"), ".");
        File.CreateSymbolicLink(Path.Combine(export, "conf", "b"), ".");
        var liveTree = new LiveTree(Path.Combine(root, "state"));

        await Task.Run(() => liveTree.MarkApplied(export)).WaitAsync(TimeSpan.FromSeconds(30));

        var applied = Path.Combine(root, "state", "repo.applied", "conf");
        Assert.Equal(".", new FileInfo(Path.Combine(applied, "a")).LinkTarget);
        Assert.Equal(".", new FileInfo(Path.Combine(applied, "b")).LinkTarget);
        Assert.Equal("x", File.ReadAllText(Path.Combine(applied, "app.conf")));
        Assert.True(liveTree.RestoreApplied());
        Assert.Equal(".", new FileInfo(Path.Combine(liveTree.Directory, "conf", "a")).LinkTarget);
    }

    [Fact]
    public void Switch_DirectoryOnTheWayToABindSourceIsALink_CreatesNothingThroughIt()
    {
        var export = Path.Combine(root, "export");
        Directory.CreateDirectory(export);
        File.WriteAllText(Path.Combine(export, "compose.yaml"), "services: {}");
        var liveTree = new LiveTree(Path.Combine(root, "state"));
        liveTree.Switch(export, TestSpecs.Desired("h"));
        // A container that can write into the live directory put a link where the bind source's parent goes.
        var outside = Path.Combine(root, "outside");
        Directory.CreateDirectory(outside);
        Directory.CreateSymbolicLink(Path.Combine(liveTree.Directory, "app"), outside);
        var bind = new MountSpec(MountType.Bind, Path.Combine(liveTree.Directory, "app", "data"), "/data", ReadOnly: false, BindCreateHostPath: true);
        var service = TestSpecs.Service("shop", "web", TestSpecs.Container() with { Mounts = [bind] });

        liveTree.Switch(export, TestSpecs.Desired("h", TestSpecs.Stack("shop", [service])));

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
