using System.Formats.Tar;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Fronts;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Fronts;

/// <summary>The front's own decisions about its image and its container, with no engine.</summary>
public sealed class FrontImageTests
{
    private sealed class RecordingStore(bool has, string? importError = null) : IFrontImageStore
    {
        public List<string> Asked { get; } = [];

        public List<(string Repository, string Tag, List<string> Entries)> Imported { get; } = [];

        public Task<bool> HasImageAsync(string reference, CancellationToken cancellationToken)
        {
            Asked.Add(reference);
            return Task.FromResult(has);
        }

        public Task ImportImageAsync(string repository, string tag, Stream tarball, CancellationToken cancellationToken)
        {
            var entries = new List<string>();
            using (var reader = new TarReader(tarball, leaveOpen: true))
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    entries.Add(entry.Name);
                }
            }

            Imported.Add((repository, tag, entries));
            return importError is null ? Task.CompletedTask : throw new ImageImportException($"{repository}:{tag}", importError);
        }
    }

    private static string ExpectedReference() => $"{FrontImage.Repository}:{FrontImage.Tag(File.ReadAllBytes(FrontImage.BusyboxPath))}";

    [Fact]
    public async Task Ensure_EngineHasTheImage_ImportsNothing()
    {
        var store = new RecordingStore(has: true);

        var reference = await FrontImage.EnsureAsync(store, CancellationToken.None);

        Assert.Equal(ExpectedReference(), reference);
        Assert.Equal([reference], store.Asked);
        Assert.Empty(store.Imported);
    }

    [Fact]
    public async Task Ensure_ImageMissing_ImportsTheHostsBusyboxUnderItsTag()
    {
        var store = new RecordingStore(has: false);

        var reference = await FrontImage.EnsureAsync(store, CancellationToken.None);

        var imported = Assert.Single(store.Imported);
        Assert.Equal(ExpectedReference(), $"{imported.Repository}:{imported.Tag}");
        Assert.Equal(reference, $"{imported.Repository}:{imported.Tag}");
        Assert.Equal(["bin/", "bin/busybox"], imported.Entries);
    }

    [Fact]
    public async Task Ensure_EngineReportsTheImportFailed_IsAFrontRoutingErrorWithTheEnginesWords()
    {
        var store = new RecordingStore(has: false, importError: "archive/tar: invalid tar header");

        var error = await Assert.ThrowsAsync<FrontRoutingException>(() => FrontImage.EnsureAsync(store, CancellationToken.None));

        Assert.Equal($"could not import the front image {ExpectedReference()}: archive/tar: invalid tar header", error.Message);
    }

    [Fact]
    public async Task Ensure_NoStaticBusybox_AsksTheEngineNothing()
    {
        var store = new RecordingStore(has: false);

        await Assert.ThrowsAsync<FrontRoutingException>(() => FrontImage.EnsureAsync(store, CancellationToken.None, busyboxPath: "/bin/sh"));

        Assert.Empty(store.Asked);
    }

    [Fact]
    public void Container_IsLabelledAsTheServicesFrontAndHardened()
    {
        var service = Service("shop", "web", Container()).Fronted();
        var front = FrontDefinition.For(service);

        var container = FrontContainer.For(front, new ResourceOwner("host-a", "rev-1"), "berth/front:busybox-abc");

        Assert.Equal("shop-web-front", container.Name);
        Assert.Equal(FrontImage.Command, container.Command);
        Assert.Equal(BerthLabels.FrontRole, container.Labels[BerthLabels.Role]);
        Assert.Equal(front.Hash, container.Labels[BerthLabels.ConfigHash]);
        Assert.Equal("host-a", container.Labels[BerthLabels.Host]);
        Assert.Equal("rev-1", container.Labels[BerthLabels.Revision]);
        Assert.Equal("1", container.Sysctls["net.ipv4.ip_forward"]);
        Assert.Equal("0", container.Sysctls["net.ipv4.conf.all.send_redirects"]);
        Assert.Equal(front.Networks.Select(network => network.EngineName), container.Networks);
        Assert.True(container.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], container.DroppedCapabilities.ToArray());
    }
}
