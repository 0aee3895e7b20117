using System.Net;
using Berth.Daemon.Cli;
using Berth.Daemon.Configuration;
using Berth.Daemon.Http;
using Berth.Reconciler.Loop;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.Daemon;

/// <summary>The pure decisions behind who may use the HTTP API (issue 22, items 6, 7 and 15).</summary>
public sealed class HttpAccessTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private readonly string directory = Directory.CreateTempSubdirectory("berth-http-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.FirstOrDefault(header => string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    [Theory]
    [InlineData("127.0.0.1:9750", true)]
    [InlineData("localhost:9750", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("[::1]:9750", true)]
    [InlineData("127.0.0.2:9750", true)]
    [InlineData("berth.internal:9750", true)]
    [InlineData("attacker.example:9750", false)]
    [InlineData("192.168.1.5:9750", false)]
    [InlineData("localhost.attacker.example", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void RequestGuard_LoopbackListener_AcceptsLocalNamesAndConfiguredOnes(string? host, bool allowed) =>
        Assert.Equal(allowed, new RequestGuard(new IPEndPoint(IPAddress.Loopback, 9750), ["berth.internal"]).IsHostAllowed(host));

    [Theory]
    [InlineData("192.168.1.5:9750", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("web-01.example:9750", false)]
    public void RequestGuard_WildcardListener_AcceptsAnyAddressButNoUnknownName(string host, bool allowed) =>
        Assert.Equal(allowed, new RequestGuard(new IPEndPoint(IPAddress.Any, 9750), []).IsHostAllowed(host));

    [Fact]
    public void RequestGuard_BrowserMarks_CrossSiteRefusedTypedUrlAndCliAccepted()
    {
        Assert.True(RequestGuard.IsCrossSiteBrowserRequest(Headers(("Origin", "https://attacker.example"))));
        Assert.True(RequestGuard.IsCrossSiteBrowserRequest(Headers(("Sec-Fetch-Site", "cross-site"))));
        Assert.True(RequestGuard.IsCrossSiteBrowserRequest(Headers(("Sec-Fetch-Site", "same-site"))));
        Assert.False(RequestGuard.IsCrossSiteBrowserRequest(Headers(("Sec-Fetch-Site", "none"))));
        Assert.False(RequestGuard.IsCrossSiteBrowserRequest(Headers()));
    }

    [Fact]
    public void SyncRateLimiter_Flood_BurstThenOnePerInterval()
    {
        var time = new FakeTimeProvider(T0);
        var limiter = new SyncRateLimiter(time, burst: 3, refillEvery: TimeSpan.FromSeconds(10));

        var accepted = Enumerable.Range(0, 10).Count(attempt => limiter.TryAcquire(out _));
        Assert.Equal(3, accepted);
        Assert.False(limiter.TryAcquire(out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(10), retryAfter);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryAcquire(out _));
        Assert.False(limiter.TryAcquire(out _));

        // A long quiet period refills the burst, never more.
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(3, Enumerable.Range(0, 10).Count(attempt => limiter.TryAcquire(out _)));
    }

    [Fact]
    public void RejectionLogLimiter_Flood_OneLinePerSourcePerIntervalThenTheCount()
    {
        var time = new FakeTimeProvider(T0);
        var limiter = new RejectionLogLimiter(time, TimeSpan.FromMinutes(1));

        Assert.True(limiter.ShouldLog("10.0.0.1", out var source, out var suppressed));
        Assert.Equal(("10.0.0.1", 0L), (source, suppressed));
        Assert.Equal(0, Enumerable.Range(0, 99).Count(attempt => limiter.ShouldLog("10.0.0.1", out _, out _)));
        // Another source is not silenced by the first one's flood.
        Assert.True(limiter.ShouldLog("10.0.0.2", out _, out _));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(limiter.ShouldLog("10.0.0.1", out _, out suppressed));
        Assert.Equal(99, suppressed);
    }

    [Fact]
    public void RejectionLogLimiter_ManySources_MemoryIsBoundedAndTheRestAreCountedTogether()
    {
        var time = new FakeTimeProvider(T0);
        var limiter = new RejectionLogLimiter(time, TimeSpan.FromMinutes(1), maxSources: 4);

        var logged = Enumerable.Range(0, 100).Count(index => limiter.ShouldLog($"10.0.0.{index}", out _, out _));

        Assert.Equal(5, logged);
        Assert.False(limiter.ShouldLog("10.0.1.1", out _, out _));
        // Sources quiet for a whole interval are forgotten, which makes room again.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(limiter.ShouldLog("10.0.1.2", out var source, out _));
        Assert.Equal("10.0.1.2", source);
    }

    [Fact]
    public void ApiToken_Generated_IsOwnerOnlyNewAtEachStartAndChecked()
    {
        var first = ApiToken.LoadOrCreate(HttpSettings.Default, directory);
        var path = Path.Combine(directory, ApiToken.GeneratedFileName);
        var firstText = ApiToken.ReadFile(path);
        var second = ApiToken.LoadOrCreate(HttpSettings.Default, directory);
        var secondText = ApiToken.ReadFile(path);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.NotEqual(firstText, secondText);
        Assert.Equal(ApiToken.Presented.Invalid, first.Check(ApiToken.AuthorizationValue(secondText)));
        Assert.Equal(ApiToken.Presented.Valid, second.Check(ApiToken.AuthorizationValue(secondText)));
        Assert.Equal(ApiToken.Presented.Valid, second.Check("bearer " + secondText));
        Assert.Equal(ApiToken.Presented.None, second.Check(null));
        // Another scheme (a proxy forwarding Basic credentials) is anonymous, not a wrong token.
        Assert.Equal(ApiToken.Presented.None, second.Check("Basic " + secondText));
        Assert.Equal("***", second.ToString());
    }

    [Fact]
    public void ApiToken_FileWithTrailingWhiteSpace_MatchesTheTokenSent()
    {
        // The file and the request are normalised alike: a trailing space or tab in the file used to pass
        // the start-up check and then refuse every request.
        var file = Path.Combine(directory, "token");
        File.WriteAllText(file, "0123456789abcdef0123 \t\n");

        var token = ApiToken.LoadOrCreate(new HttpSettings(file, []), directory);

        Assert.Equal(ApiToken.Presented.Valid, token.Check(ApiToken.AuthorizationValue(ApiToken.ReadFile(file))));
        Assert.Equal(ApiToken.Presented.Valid, token.Check("Bearer 0123456789abcdef0123"));
    }

    [Fact]
    public void ApiToken_Configured_IsReadNotGenerated()
    {
        var file = Path.Combine(directory, "token");
        File.WriteAllText(file, "0123456789abcdef0123\n");

        var token = ApiToken.LoadOrCreate(new HttpSettings(file, []), directory);

        Assert.Equal(ApiToken.Presented.Valid, token.Check("Bearer 0123456789abcdef0123"));
        Assert.False(File.Exists(Path.Combine(directory, ApiToken.GeneratedFileName)));
    }

    [Fact]
    public void DaemonToken_FileFromConfig_ConfiguredFileElseStateDirElseDefault()
    {
        var config = Path.Combine(directory, "berth.yaml");
        File.WriteAllText(config, "stateDir: /srv/berth\nhttp:\n  tokenFile: secrets/api-token\n");
        Assert.Equal(Path.Combine(directory, "secrets", "api-token"), DaemonToken.FileFromConfig(config));

        File.WriteAllText(config, "stateDir: /srv/berth\n");
        Assert.Equal("/srv/berth/http-token", DaemonToken.FileFromConfig(config));

        Assert.Equal("/var/lib/berth/http-token", DaemonToken.FileFromConfig(Path.Combine(directory, "missing.yaml")));
    }

    [Fact]
    public void StatusRedaction_WithoutToken_EvidenceIsReplacedAndTheRestKept()
    {
        var board = new StatusBoard("web-01", "0.1.0", T0);
        board.RecordPassCompleted(
            new PassRecord(3, PassTrigger.Webhook, T0, TimeSpan.FromSeconds(4), PassOutcome.Stalled, "0123456789abcdef", "web/api: health gate failed", "RolloutFailed"),
            [
                new ServiceStatus("web", "api", 2, 2, 2, new RolloutRecord(RolloutState.RolledBack, "0123456789abcdef", T0, "last log lines:\n  password=hunter2")),
                new ServiceStatus("web", "worker", 1, 1, 1, new RolloutRecord(RolloutState.Succeeded, "0123456789abcdef", T0, null)),
            ],
            0, 0, T0);

        var redacted = StatusRedaction.WithoutEvidence(board.Current);

        Assert.Equal(StatusRedaction.HiddenEvidence, redacted.Services[0].LastRollout!.Evidence);
        Assert.Equal(RolloutState.RolledBack, redacted.Services[0].LastRollout!.Result);
        Assert.Null(redacted.Services[1].LastRollout!.Evidence);
        Assert.Equal(board.Current.Conditions, redacted.Conditions);
    }
}
