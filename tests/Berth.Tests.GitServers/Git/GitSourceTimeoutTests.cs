using System.Diagnostics;
using Berth.Reconciler.Git;
using Berth.Tests.Infrastructure;
using Berth.Tests.Servers;
using Xunit.Abstractions;

namespace Berth.Tests.Git;

/// <summary>
/// A server that accepts connections and never answers must not stall the daemon: every call returns a
/// transient timeout within FetchTimeout plus the kill slack, for every network transport.
/// </summary>
public sealed class GitSourceTimeoutTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(2);

    // The promise: FetchTimeout plus the kill grace period, with a little room for a busy CI machine.
    private static readonly TimeSpan Bound = FetchTimeout + TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    [InlineData("ssh")]
    public async Task FetchAsync_ServerAcceptsAndNeverAnswers_ReturnsTimeoutWithinTheBound(string scheme)
    {
        await using var server = new HangingServer();
        using var keys = new TempDirectory("keys");
        using var subject = await CreateSourceAsync(scheme, server.Port, keys);

        var stopwatch = Stopwatch.StartNew();
        var result = await WithDeadline(subject.Source.FetchAsync(CancellationToken.None));
        stopwatch.Stop();

        output.WriteLine($"{scheme}: fetch against a hanging server returned after {stopwatch.Elapsed.TotalMilliseconds:0} ms: {result.Error}");
        Assert.Equal(GitFailureReason.Timeout, result.Error?.Reason);
        Assert.True(result.Error!.IsTransient);
        Assert.True(server.AcceptedConnections > 0, "git never connected: the test did not exercise a hang");
        Assert.InRange(stopwatch.Elapsed, FetchTimeout - TimeSpan.FromMilliseconds(100), Bound);
        await AssertNoGitProcessLeftAsync(subject.Options.CacheDirectory, $"127.0.0.1:{server.Port}", keys.Path);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("ssh")]
    public async Task CheckRemoteAsync_ServerAcceptsAndNeverAnswers_ReturnsTimeoutWithinTheBound(string scheme)
    {
        await using var server = new HangingServer();
        using var keys = new TempDirectory("keys");
        using var subject = await CreateSourceAsync(scheme, server.Port, keys);

        var stopwatch = Stopwatch.StartNew();
        var check = await WithDeadline(subject.Source.CheckRemoteAsync(CancellationToken.None));

        Assert.Equal(GitFailureReason.Timeout, check.Error?.Reason);
        Assert.InRange(stopwatch.Elapsed, FetchTimeout - TimeSpan.FromMilliseconds(100), Bound);
    }

    [Fact]
    public async Task FetchAsync_ServerStallsAfterListingRefs_WholeCallStaysWithinOneTimeout()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        await using var server = GitHttpServer.Start(repository.ServeRoot, new HttpAuthentication.Bearer("t"), hangOnFetch: true);
        using var secrets = new TempDirectory("secret");
        await File.WriteAllTextAsync(secrets.Combine("token"), "t");
        using var subject = new SourceUnderTest(server.UrlFor(repository.BareName), options => options with
        {
            FetchTimeout = FetchTimeout,
            AllowInsecureHttp = true, // the test server is plain HTTP on loopback
            Credentials = new GitCredentials { TokenFile = secrets.Combine("token") },
        });

        var stopwatch = Stopwatch.StartNew();
        var result = await WithDeadline(subject.Source.FetchAsync(CancellationToken.None));
        stopwatch.Stop();

        output.WriteLine($"fetch stalled after ls-remote returned after {stopwatch.Elapsed.TotalMilliseconds:0} ms: {result.Error}");
        Assert.Equal(GitFailureReason.Timeout, result.Error?.Reason);
        Assert.Contains(server.Requests, request => request.EndsWith("hanging fetch", StringComparison.Ordinal));
        // One deadline for remote check plus fetch, not one each.
        Assert.InRange(stopwatch.Elapsed, FetchTimeout - TimeSpan.FromMilliseconds(100), Bound);
        Assert.Null(result.Tip);
    }

    [Fact]
    public async Task FetchAsync_RepositoryOutgrowsTheTimeout_RemovesThePartialPackAndSaysSo()
    {
        using var repository = await TestRepository.CreateAsync();
        // More objects than fetch.unpackLimit (100): git keeps them as a pack, written to
        // objects/pack/tmp_pack_* while it arrives. Random content: ~3.6 MB that does not compress.
        var random = new Random(22);
        var files = Enumerable.Range(0, 150).ToDictionary(
            index => $"data/{index:D3}.txt",
            string? (_) => Convert.ToBase64String(Enumerable.Range(0, 24 * 1024).Select(_ => (byte)random.Next(256)).ToArray()));
        await repository.CommitAsync(files, "Large");
        await repository.PushAsync();
        await using var daemon = await GitDaemonServer.StartAsync(repository.ServeRoot);
        // 256 KB of the pack arrive (~320 KB/s), then the link goes quiet: the transfer is cut short at
        // that point however fast or slow the machine is, and the fetch timeout kills it.
        await using var proxy = new ThrottlingProxy(daemon.Port, bytesPerChunk: 16 * 1024, pauseBetweenChunks: TimeSpan.FromMilliseconds(50), stallAfterBytes: 256 * 1024);
        using var subject = new SourceUnderTest($"git://127.0.0.1:{proxy.Port}/{repository.BareName}", options => options with { FetchTimeout = TimeSpan.FromSeconds(5) });

        var result = await WithDeadline(subject.Source.FetchAsync(CancellationToken.None));

        output.WriteLine($"{proxy.BytesToClient} bytes passed on before the kill: {result.Error}");
        Assert.Equal(GitFailureReason.Timeout, result.Error?.Reason);
        Assert.True(result.Error!.IsTransient);
        Assert.True(proxy.BytesToClient > 100_000, $"only {proxy.BytesToClient} bytes reached git: the test did not exercise a transfer cut short");
        Assert.Empty(PartialDownloads(subject.MirrorPath));
        Assert.Contains("outgrows source.fetchTimeout", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_PartialPackLeftByAnEarlierRun_IsRemovedBeforeTheNextFetch()
    {
        using var repository = await TestRepository.CreateAsync();
        await repository.CommitAsync("a.yaml", "a: 1\n", "First");
        await repository.PushAsync();
        using var subject = new SourceUnderTest(repository.FileUrl);
        Assert.True((await subject.Source.FetchAsync(CancellationToken.None)).Succeeded);
        // What a SIGKILLed berth (or a power cut) leaves in the mirror: a download that never finished.
        var leftover = Path.Combine(subject.MirrorPath, "objects", "pack", "tmp_pack_Ab12Cd");
        await File.WriteAllBytesAsync(leftover, new byte[64 * 1024]);
        using var restarted = new GitSource(subject.Options, TimeProvider.System, subject.Logger);

        var result = await restarted.FetchAsync(CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Empty(PartialDownloads(subject.MirrorPath));
        Assert.Contains(subject.Logger.Entries, entry => entry.EventId.Id == 6015 && entry.Message.Contains("tmp_pack_Ab12Cd", StringComparison.Ordinal));
    }

    private static string[] PartialDownloads(string mirrorPath) =>
        Directory.Exists(mirrorPath)
            ? [.. Directory.EnumerateFiles(mirrorPath, "tmp_*", SearchOption.AllDirectories)]
            : [];

    [Fact]
    public async Task FetchAsync_CancelledWhileServerHangs_ThrowsPromptlyAndKillsGit()
    {
        await using var server = new HangingServer();
        using var subject = new SourceUnderTest($"http://127.0.0.1:{server.Port}/upstream.git", options => options with { FetchTimeout = TimeSpan.FromMinutes(5) });
        using var cancellation = new CancellationTokenSource();

        var fetch = subject.Source.FetchAsync(cancellation.Token);
        await Eventually.UntilAsync(() => Task.FromResult(server.AcceptedConnections > 0), TimeSpan.FromSeconds(10), "git connecting to the hanging server");
        var stopwatch = Stopwatch.StartNew();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WithDeadline(fetch));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"cancellation took {stopwatch.Elapsed}");
        await AssertNoGitProcessLeftAsync(subject.Options.CacheDirectory, $"127.0.0.1:{server.Port}");
    }

    private static async Task<SourceUnderTest> CreateSourceAsync(string scheme, int port, TempDirectory keys)
    {
        if (scheme != "ssh")
        {
            return new SourceUnderTest($"{scheme}://127.0.0.1:{port}/upstream.git", options => options with { FetchTimeout = FetchTimeout });
        }

        var key = await SshKeyPair.CreateAsync(keys.Path, "deploy", "deploy");
        var knownHosts = keys.Combine("known_hosts");
        await File.WriteAllTextAsync(knownHosts, "");
        return new SourceUnderTest($"ssh://git@127.0.0.1:{port}/upstream.git", options => options with
        {
            FetchTimeout = FetchTimeout,
            Credentials = new GitCredentials { SshKeyFile = key.PrivateKeyPath, KnownHostsFile = knownHosts },
        });
    }

    // The test's own deadline: if the source hung, the test fails instead of hanging with it.
    private static async Task<T> WithDeadline<T>(Task<T> call)
    {
        var finished = await Task.WhenAny(call, Task.Delay(Bound + TimeSpan.FromSeconds(10)));
        Assert.True(finished == call, "the call did not return: a hung server stalled it");
        return await call;
    }

    private static async Task AssertNoGitProcessLeftAsync(params string[] markers)
    {
        // Every git (and its ssh or remote-http helper: their command lines carry the URL or the
        // known_hosts path, not the cache directory) was killed, not orphaned.
        await Eventually.UntilAsync(
            () => Task.FromResult(!markers.SelectMany(ProcessesMentioning).Any()),
            TimeSpan.FromSeconds(5),
            "git processes of this test exiting");
    }

    private static IEnumerable<int> ProcessesMentioning(string text)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains(text, StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }
}
