using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using static Berth.Tests.Engine.CreateParametersTests;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Anonymous volumes ("- /cache", or an image's VOLUME) across a replacement: the new container takes
/// the old one's over, as docker compose does, so the data stays and no unmounted volume is left behind.
/// </summary>
public sealed class AnonymousVolumeTests
{
    private static string Compose(string order, string version, string image = "berth-test/busybox:1") => $"""
        services:
          app:
            image: {image}
            command: ["sleep", "3600"]
            init: true
            environment: {"{"} VERSION: "{version}" {"}"}
            volumes:
              - /cache
            deploy:
              update_config: {"{"} order: {order}, monitor: 500ms {"}"}
        """;

    [Theory]
    [InlineData("stop-first")]
    [InlineData("start-first")]
    public async Task Apply_ReplacingAContainerWithAnAnonymousVolume_TheNewContainerMountsTheSameVolumeWithItsData(string order)
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var name = $"{harness.StackName}-app-1";
        await harness.ApplyConvergedAsync(Load(repository, harness, Compose(order, "1")));
        var before = await harness.InspectAsync(name);
        var volume = VolumeAt(before, "/cache");
        harness.Scope.AnonymousVolumes.Add(volume);
        await harness.ExecAsync(name, "sh", "-c", "echo kept > /cache/file");
        var next = Load(repository, harness, Compose(order, "2"));

        // The plan says the order apply uses, and why it is not the one asked for.
        var step = Assert.Single((await harness.PlanAsync(next)).Steps.OfType<Berth.Reconciler.Planning.ReplaceContainerStep>());
        Assert.Equal($"replace container {name} ({harness.StackName}/app #1, stop-first{(order == "start-first" ? ": its anonymous volume /cache passes to the replacement" : string.Empty)})", step.Action);

        await harness.ApplyConvergedAsync(next);

        var after = await harness.InspectAsync(name);
        harness.Scope.AnonymousVolumes.AddRange(after.Mounts.Where(mount => mount.Type == "volume").Select(mount => mount.Name!));
        Assert.NotEqual(before.ID, after.ID);
        Assert.Contains("VERSION=2", after.Config.Env);
        Assert.Equal(volume, VolumeAt(after, "/cache"));
        Assert.Equal("kept", (await harness.ExecAsync(name, "cat", "/cache/file")).Trim());

        // Never two containers on one volume: even asked for start-first, the old one was stopped
        // before the new one started (the stop-first path).
        Assert.Contains(harness.Progress, progress => progress.Message == $"stopped {name}");
    }

    [Fact]
    public async Task Apply_ReplacingAContainerOfAnImageWithVolume_TheImageVolumeIsTakenOverToo()
    {
        var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var image = $"berth-test/with-volume:{harness.Host}";
        await CommitImageWithVolumeAsync(harness, image, "/state");
        try
        {
            var name = $"{harness.StackName}-app-1";
            await harness.ApplyConvergedAsync(Load(repository, harness, Compose("stop-first", "1", image)));
            var before = await harness.InspectAsync(name);
            var volume = VolumeAt(before, "/state");
            harness.Scope.AnonymousVolumes.AddRange(before.Mounts.Where(mount => mount.Type == "volume").Select(mount => mount.Name!));
            await harness.ExecAsync(name, "sh", "-c", "echo kept > /state/file");

            await harness.ApplyConvergedAsync(Load(repository, harness, Compose("stop-first", "2", image)));

            var after = await harness.InspectAsync(name);
            harness.Scope.AnonymousVolumes.AddRange(after.Mounts.Where(mount => mount.Type == "volume").Select(mount => mount.Name!));
            Assert.NotEqual(before.ID, after.ID);
            Assert.Equal(volume, VolumeAt(after, "/state"));
            Assert.Equal("kept", (await harness.ExecAsync(name, "cat", "/state/file")).Trim());
        }
        finally
        {
            // Containers first (the scope removes them), then the image they use.
            await harness.DisposeAsync();
            using var client = Berth.Reconciler.Engine.DockerClientFactory.Create(null, TimeSpan.FromSeconds(60));
            await client.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true });
        }
    }

    [Fact]
    public async Task Apply_ServiceLeavesTheSpec_ItsAnonymousVolumeIsKept()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var name = $"{harness.StackName}-app-1";
        await harness.ApplyConvergedAsync(Load(repository, harness, Compose("stop-first", "1") + """

              other:
                image: berth-test/busybox:1
                command: ["sleep", "3600"]
            """));
        var volume = VolumeAt(await harness.InspectAsync(name), "/cache");
        harness.Scope.AnonymousVolumes.Add(volume);

        await harness.ApplyConvergedAsync(Load(repository, harness, """
            services:
              other:
                image: berth-test/busybox:1
                command: ["sleep", "3600"]
            """));

        Assert.DoesNotContain(name, await harness.ManagedContainerNamesAsync());
        // berth never deletes data implicitly: like `docker compose down` without -v.
        Assert.Equal(volume, (await harness.Client.Volumes.InspectAsync(volume)).Name);
    }

    private static string VolumeAt(ContainerInspectResponse container, string target)
    {
        var mount = container.Mounts.Single(mount => mount.Destination == target);
        Assert.Equal("volume", mount.Type);
        return mount.Name!;
    }

    /// <summary>The test image plus a VOLUME, committed from a stopped container of it (no registry, no build).</summary>
    private static async Task CommitImageWithVolumeAsync(ReconcileHarness harness, string image, string volume)
    {
        var source = await harness.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = "berth-test/busybox:1",
            Cmd = ["true"],
            Labels = harness.Scope.Labels,
        });
        var (repository, tag) = (image[..image.LastIndexOf(':')], image[(image.LastIndexOf(':') + 1)..]);
        await harness.Client.Images.CommitContainerChangesAsync(new CommitContainerChangesParameters
        {
            ContainerID = source.ID,
            RepositoryName = repository,
            Tag = tag,
            Cmd = ["sh"],
            Env = ["PATH=/bin"],
            Labels = harness.Scope.Labels,
            Volumes = new Dictionary<string, EmptyStruct> { [volume] = default },
        });
        await harness.Client.Containers.RemoveContainerAsync(source.ID, new ContainerRemoveParameters { Force = true });
    }
}
