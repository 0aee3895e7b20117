namespace Berth.Tests.Servers;

/// <summary>`git daemon` serving a directory over git:// on a free loopback port.</summary>
public static class GitDaemonServer
{
    public static async Task<ChildServer> StartAsync(string baseDirectory)
    {
        var port = Infrastructure.FreePort.Next();
        return await ChildServer.StartAsync("git",
        [
            "daemon", "--reuseaddr", "--listen=127.0.0.1", $"--port={port}", $"--base-path={baseDirectory}",
            "--export-all", "--informative-errors", baseDirectory,
        ], port);
    }

    public static string UrlFor(ChildServer server, string repositoryName) => $"git://127.0.0.1:{server.Port}/{repositoryName}";
}
