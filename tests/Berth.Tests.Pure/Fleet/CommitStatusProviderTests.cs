using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Reconciler.Forge;

namespace Berth.Tests.Fleet;

/// <summary>Each provider against the loopback forge, which checks every request against the provider's documented API.</summary>
public sealed class CommitStatusProviderTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static TheoryData<ForgeKind> Kinds => [ForgeKind.GitHub, ForgeKind.GitLab, ForgeKind.Gitea];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task SetAndList_EachProvider_ReadsBackTheLatestStatusOfEachContext(ForgeKind kind)
    {
        await using var forge = LoopbackForge.Start(kind);
        var provider = forge.CreateProvider(http);

        await provider.SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Pending, "applying on web-1"), CancellationToken.None);
        await provider.SetAsync(new CommitStatus(Sha, "berth/web-2", CommitState.Pending, "applying on web-2"), CancellationToken.None);
        await provider.SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "converged and healthy on web-1", "https://dash.example.com/web-1"), CancellationToken.None);
        await provider.SetAsync(new CommitStatus(Sha, "berth/web-2", CommitState.Failure, "RolledBack: shop/web: health gate failed"), CancellationToken.None);

        var statuses = await provider.ListAsync(Sha, CancellationToken.None);

        Assert.Empty(forge.Violations);
        Assert.Equal(
            [
                new CommitStatus(Sha, "berth/web-1", CommitState.Success, "converged and healthy on web-1", "https://dash.example.com/web-1"),
                new CommitStatus(Sha, "berth/web-2", CommitState.Failure, "RolledBack: shop/web: health gate failed"),
            ],
            statuses);
        // The provider's own words on the wire: GitLab's host that applies is "running", its failure "failed".
        Assert.Equal(kind == ForgeKind.GitLab ? ["running", "success"] : ["pending", "success"], forge.StatesOf(Sha, "berth/web-1"));
        Assert.Equal(kind == ForgeKind.GitLab ? "failed" : "failure", forge.Latest(Sha)["berth/web-2"].State);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task List_CommitWithoutStatuses_IsEmpty(ForgeKind kind)
    {
        await using var forge = LoopbackForge.Start(kind);

        Assert.Empty(await forge.CreateProvider(http).ListAsync(Sha, CancellationToken.None));
        Assert.Empty(forge.Violations);
    }

    [Fact]
    public async Task Set_GitHubDescriptionOver140Characters_IsShortenedToTheLimit()
    {
        await using var forge = LoopbackForge.Start(ForgeKind.GitHub);
        var reason = "RolledBack: " + string.Join("; ", Enumerable.Range(1, 20).Select(i => $"shop/service-{i}: health gate failed"));

        await forge.CreateProvider(http).SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Failure, reason), CancellationToken.None);

        Assert.Empty(forge.Violations);
        var description = forge.Latest(Sha)["berth/web-1"].Description;
        Assert.Equal(GitHubStatusProvider.DescriptionLimit, description.Length);
        Assert.StartsWith("RolledBack: shop/service-1: health gate failed", description, StringComparison.Ordinal);
        Assert.EndsWith("…", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_MultiLineDescription_IsSentOnOneLine()
    {
        await using var forge = LoopbackForge.Start(ForgeKind.Gitea);

        await forge.CreateProvider(http).SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Failure, "InvalidCommit:\nstacks/shop/compose.yaml:3:5: unknown key"), CancellationToken.None);

        Assert.Equal("InvalidCommit: stacks/shop/compose.yaml:3:5: unknown key", forge.Latest(Sha)["berth/web-1"].Description);
    }

    [Fact]
    public async Task Set_GitLabProjectInASubgroup_AddressesItByItsUrlEncodedPath()
    {
        await using var forge = LoopbackForge.Start(ForgeKind.GitLab, repository: "ops/fleet/deploy");

        await forge.CreateProvider(http).SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "ok"), CancellationToken.None);

        Assert.Empty(forge.Violations);
        Assert.Equal($"POST /api/v4/projects/ops%2Ffleet%2Fdeploy/statuses/{Sha} 201", Assert.Single(forge.Requests));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Set_WrongToken_FailsAsNotTransientAndTheMessageHasNoToken(ForgeKind kind)
    {
        await using var forge = LoopbackForge.Start(kind);

        var exception = await Assert.ThrowsAsync<ForgeApiException>(() =>
            forge.CreateProvider(http, token: "wrong-token-value").SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "ok"), CancellationToken.None));

        Assert.Equal(401, exception.StatusCode);
        Assert.False(exception.IsTransient);
        Assert.DoesNotContain("wrong-token-value", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(forge.Token, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(429, true)]
    [InlineData(404, false)]
    [InlineData(422, false)]
    public async Task Set_ErrorAnswer_IsTransientOnlyForServerErrorsAndRateLimits(int statusCode, bool transient)
    {
        await using var forge = LoopbackForge.Start(ForgeKind.GitHub);
        forge.FailNext(1, statusCode);

        var exception = await Assert.ThrowsAsync<ForgeApiException>(() =>
            forge.CreateProvider(http).SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "ok"), CancellationToken.None));

        Assert.Equal(statusCode, exception.StatusCode);
        Assert.Equal(transient, exception.IsTransient);
    }

    [Fact]
    public async Task Forge_StrayRequestWithoutItsToken_LeavesTheQueuedFaultForTheTestsOwnRequest()
    {
        await using var forge = LoopbackForge.Start(ForgeKind.GitHub);
        forge.FailNext(1, 429);

        // What a retrying sender of another test sends when its old port was given to this forge.
        using var stray = await http.PostAsync(new Uri(forge.ApiBase, $"repos/acme/deploy/statuses/{Sha}"), new StringContent("{\"state\":\"pending\"}", Encoding.UTF8, "application/json"));
        var exception = await Assert.ThrowsAsync<ForgeApiException>(() =>
            forge.CreateProvider(http).SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "ok"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, stray.StatusCode);
        Assert.Equal(429, exception.StatusCode);
    }

    [Fact]
    public async Task ClosedPort_WhileHeld_RefusesConnections()
    {
        using var closed = new ClosedPort();

        using var client = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, closed.Port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Set_NobodyListens_IsTransient()
    {
        using var closed = new ClosedPort();
        var provider = new ForgeRepository(ForgeKind.Gitea, new Uri($"http://127.0.0.1:{closed.Port}/api/v1/"), "acme/deploy").CreateProvider(http, () => "t");

        var exception = await Assert.ThrowsAsync<ForgeApiException>(() => provider.SetAsync(new CommitStatus(Sha, "berth/web-1", CommitState.Success, "ok"), CancellationToken.None));

        Assert.True(exception.IsTransient);
        Assert.Null(exception.StatusCode);
    }
}
