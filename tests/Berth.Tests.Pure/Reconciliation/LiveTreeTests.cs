using Berth.Reconciler.Reconciliation;

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

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
