using System.Net;
using Berth.Daemon.Cli;

namespace Berth.Tests.Daemon;

public sealed class DaemonUrlTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-url-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Config(string yaml)
    {
        var path = Path.Combine(directory, "berth.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Resolve_ExplicitUrl_Wins() =>
        Assert.Equal("http://10.0.0.1:1", DaemonUrl.Resolve("http://10.0.0.1:1", Config("listen: 127.0.0.1:9999\n")));

    [Fact]
    public void Resolve_NoUrl_UsesTheConfigListenEvenIfTheRestIsInvalid() =>
        Assert.Equal("http://127.0.0.1:9999", DaemonUrl.Resolve(null, Config("listen: 127.0.0.1:9999\nwebhooks:\n  github:\n    secretFile: /root/unreadable\n")));

    [Fact]
    public void Resolve_NoUrlNoConfig_UsesTheDefault() =>
        Assert.Equal("http://127.0.0.1:9750", DaemonUrl.Resolve(null, Path.Combine(directory, "missing.yaml")));

    [Fact]
    public void Resolve_BrokenYaml_UsesTheDefault() =>
        Assert.Equal("http://127.0.0.1:9750", DaemonUrl.Resolve(null, Config("listen: [\n")));

    [Theory]
    [InlineData("0.0.0.0", 9750, "http://127.0.0.1:9750")]
    [InlineData("::", 9750, "http://[::1]:9750")]
    [InlineData("192.168.1.5", 80, "http://192.168.1.5:80")]
    public void ToUrl_WildcardListen_IsReachedOverLoopback(string address, int port, string expected) =>
        Assert.Equal(expected, DaemonUrl.ToUrl(new IPEndPoint(IPAddress.Parse(address), port)));
}
