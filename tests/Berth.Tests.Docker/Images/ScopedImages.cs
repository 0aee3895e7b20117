using System.Formats.Tar;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// Images of one test: built offline FROM <see cref="TestImages.BusyboxV1"/> with the test's scope
/// label, so each has an id of its own (the shared test images must never be what garbage collection
/// is tested on) and disposal removes exactly these, whatever tags they carry, and nothing else.
/// </summary>
public sealed class ScopedImages(DockerTestScope scope) : IAsyncDisposable
{
    /// <summary>
    /// Builds an image labelled with <paramref name="version"/> (a label alone gives it an id of its own,
    /// without running a container), tagged <paramref name="tag"/>; returns its id.
    /// </summary>
    public async Task<string> BuildAsync(string tag, string version)
    {
        var dockerfile = $"FROM {TestImages.BusyboxV1}\nLABEL {DockerTestScope.TestRunLabel}={scope.ScopeId} berth.test.version={version}\n";
        using var context = new MemoryStream();
        await using (var tar = new TarWriter(context, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(dockerfile)) };
            await tar.WriteEntryAsync(entry);
        }

        context.Position = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var errors = new List<string>();
        await scope.Client.Images.BuildImageFromDockerfileAsync(
            new ImageBuildParameters { Tags = [tag], Remove = true, ForceRemove = true },
            context, null, null, new BuildErrors(errors), timeout.Token);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"building {tag} failed: {string.Join("; ", errors)}");
        }

        return (await scope.Client.Images.InspectImageAsync(tag, timeout.Token)).ID;
    }

    /// <summary>Collects build errors as they stream, synchronously (Progress&lt;T&gt; would post them after the call returned).</summary>
    private sealed class BuildErrors(List<string> errors) : IProgress<JSONMessage>
    {
        public void Report(JSONMessage value)
        {
            if (value.Error is { } error)
            {
                errors.Add(error.Message ?? "(no message)");
            }
        }
    }

    /// <summary>Whether an image with this id is on the engine.</summary>
    public async Task<bool> ExistsAsync(string imageId)
    {
        try
        {
            await scope.Client.Images.InspectImageAsync(imageId);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes a tag only (the image stays while it has other tags or is in use). A tag that is already
    /// gone is fine: <see cref="LoopbackRegistry.PushAsync"/> removes the registry's name itself after a push.
    /// </summary>
    public async Task UntagAsync(string tag)
    {
        try
        {
            await scope.Client.Images.DeleteImageAsync(tag, new ImageDeleteParameters { Force = false });
        }
        catch (DockerImageNotFoundException)
        {
            // Already untagged: the engine does not have the image under this name, which is the point.
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The test's containers go first (the scope would remove them later, but an image a running
        // container uses cannot be removed, even forced): the same removal by label the scope does.
        await scope.RemoveByLabelAsync($"{DockerTestScope.TestRunLabel}={scope.ScopeId}");
        await scope.RemoveByLabelAsync($"{Berth.Reconciler.Engine.BerthLabels.Host}={scope.ScopeId}");

        // Only images with this test's label: forced, because they may carry several tags (a registry's too).
        var images = await scope.Client.Images.ListImagesAsync(new ImagesListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{DockerTestScope.TestRunLabel}={scope.ScopeId}"] = true } },
        });
        // Every one is tried even when one fails (a leftover container of another kind): the first failure is reported after.
        Exception? firstFailure = null;
        foreach (var image in images)
        {
            try
            {
                await scope.Client.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true });
            }
            catch (DockerImageNotFoundException)
            {
            }
            catch (DockerApiException exception)
            {
                firstFailure ??= exception;
            }
        }

        if (firstFailure is not null)
        {
            throw firstFailure;
        }
    }
}
