using Berth.Reconciler.Git;

namespace Berth.Tests.Infrastructure;

/// <summary>A <see cref="GitSource"/> with its own cache directory and a recording logger; disposes both.</summary>
public sealed class SourceUnderTest : IDisposable
{
    private readonly TempDirectory cache = new("cache");

    public SourceUnderTest(string url, Func<GitSourceOptions, GitSourceOptions>? configure = null)
    {
        var options = new GitSourceOptions { Url = url, CacheDirectory = cache.Combine("source") };
        Options = configure is null ? options : configure(options);
        Source = new GitSource(Options, TimeProvider.System, Logger);
    }

    public GitSourceOptions Options { get; }

    public GitSource Source { get; }

    public RecordingLogger<GitSource> Logger { get; } = new();

    public string MirrorPath => Path.Combine(Options.CacheDirectory, "repository.git");

    /// <summary>A directory next to the cache for files a test writes (keys, exports); removed with it.</summary>
    public string Scratch(string name)
    {
        var path = cache.Combine(name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        Source.Dispose();
        cache.Dispose();
    }
}
