using System.Reflection;
using Berth.Reconciler.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Engine;

/// <summary>
/// The pull's error handling, with an engine client that reports the registry's error in the progress
/// stream and returns at once: the shape of a pull that failed after the engine started answering.
/// </summary>
public sealed class DockerContainerEnginePullTests
{
    [Fact]
    public async Task PullImage_ErrorInTheProgressStream_ThrowsEveryTime()
    {
        // With Progress<T>, the report ran on the thread pool and the pull often returned before the
        // error was recorded: a failed pull looked like a success (issue #15). Repeated, because the old
        // race lost only some of the time.
        var engine = new DockerContainerEngine(StreamingErrorClient.Create("manifest for app:1 not found: manifest unknown"));

        for (var attempt = 0; attempt < 200; attempt++)
        {
            var error = await Assert.ThrowsAsync<ImagePullException>(() => engine.PullImageAsync("registry.example/app:1", CancellationToken.None));
            Assert.Equal("pulling registry.example/app:1 failed: manifest for app:1 not found: manifest unknown", error.Message);
        }
    }

    /// <summary>An IDockerClient whose Images.CreateImageAsync reports one error message and returns; anything else throws.</summary>
    public class StreamingErrorClient : DispatchProxy
    {
        private string error = string.Empty;

        public static IDockerClient Create(string error)
        {
            var client = Create<IDockerClient, StreamingErrorClient>();
            ((StreamingErrorClient)(object)client).error = error;
            return client;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            "get_Images" => ImagesProxy.Create(error),
            "Dispose" => null,
            _ => throw new NotSupportedException(targetMethod?.Name),
        };
    }

    public class ImagesProxy : DispatchProxy
    {
        private string error = string.Empty;

        public static IImageOperations Create(string error)
        {
            var images = Create<IImageOperations, ImagesProxy>();
            ((ImagesProxy)(object)images).error = error;
            return images;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != "CreateImageAsync")
            {
                throw new NotSupportedException(targetMethod?.Name);
            }

            // Reported on the calling thread before returning, as Docker.DotNet reads the stream.
            var progress = args!.OfType<IProgress<JSONMessage>>().Single();
            progress.Report(new JSONMessage { Status = "Pulling from app" });
            progress.Report(new JSONMessage { Error = new JSONError { Message = error } });
            return Task.CompletedTask;
        }
    }
}
