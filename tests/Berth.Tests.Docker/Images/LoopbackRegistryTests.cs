using Berth.Tests.Infrastructure;

namespace Berth.Tests.Images;

/// <summary>The registry fixture itself: what the image tests rely on (push, tag moves, auth, TLS, down and up again).</summary>
public sealed class LoopbackRegistryTests
{
    [Fact]
    public async Task Push_PlainHttp_ServesTheDigestAndMovesTheTag()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        var first = await registry.PushAsync(TestImages.BusyboxV1, "berth/web", "stable");
        var moved = await registry.MoveTagAsync(TestImages.BusyboxV2, "berth/web", "stable");

        Assert.StartsWith("sha256:", first);
        Assert.NotEqual(first, moved);
        Assert.Equal(moved, await registry.ManifestDigestAsync("berth/web", "stable"));
        Assert.Null(await registry.ManifestDigestAsync("berth/web", "absent"));
    }

    [Fact]
    public async Task Push_WithHtpasswdAndTls_Works()
    {
        await using var registry = await LoopbackRegistry.StartAsync(new RegistryOptions("berth", "s3cret-pass", Tls: true));
        var digest = await registry.PushAsync(TestImages.BusyboxV1, "berth/web", "1");

        Assert.Equal(digest, await registry.ManifestDigestAsync("berth/web", "1"));
        Assert.True(File.Exists(Path.Combine("/etc/docker/certs.d", registry.Address, "ca.crt")));
    }

    [Fact]
    public async Task StopServing_ThenStart_KeepsTheStorage()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        var digest = await registry.PushAsync(TestImages.BusyboxV1, "berth/web", "1");
        await registry.StopServingAsync();

        await Assert.ThrowsAsync<HttpRequestException>(() => registry.ManifestDigestAsync("berth/web", "1"));
        await registry.StartServingAsync();
        Assert.Equal(digest, await registry.ManifestDigestAsync("berth/web", "1"));
    }
}
