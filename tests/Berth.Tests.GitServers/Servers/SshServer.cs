using Berth.Tests.Infrastructure;

namespace Berth.Tests.Servers;

/// <summary>
/// A private sshd (Debian's openssh-server) on a free loopback port: its own config, host key and
/// authorized deploy key; run in the foreground (-D) as a child of the test and killed on dispose.
/// Logs in as the user running the tests, whose shell runs git-upload-pack.
/// </summary>
public sealed class SshServer : IAsyncDisposable
{
    private readonly TempDirectory directory;
    private readonly ChildServer server;

    private SshServer(TempDirectory directory, ChildServer server, string hostPublicKey)
    {
        this.directory = directory;
        this.server = server;
        HostPublicKey = hostPublicKey;
    }

    public int Port => server.Port;

    /// <summary>The server's host public key ("ssh-ed25519 AAAA..."), for a known_hosts file.</summary>
    public string HostPublicKey { get; }

    public string KnownHostsLine => $"[127.0.0.1]:{Port} {HostPublicKey}";

    public string Output => server.Output.ToString();

    public static async Task<SshServer> StartAsync(params SshKeyPair[] authorizedKeys)
    {
        var directory = new TempDirectory("sshd");
        try
        {
            // sshd refuses to start without its privilege-separation directory (made by systemd normally).
            if (Environment.UserName == "root" && !Directory.Exists("/run/sshd"))
            {
                Directory.CreateDirectory("/run/sshd");
            }

            var hostKey = directory.Combine("host_ed25519");
            await TestProcess.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
            var authorizedKeysFile = directory.Combine("authorized_keys");
            await File.WriteAllLinesAsync(authorizedKeysFile, authorizedKeys.Select(key => key.PublicKey));
            var port = FreePort.Next();
            var configFile = directory.Combine("sshd_config");
            await File.WriteAllLinesAsync(configFile,
            [
                $"Port {port}",
                "ListenAddress 127.0.0.1",
                $"HostKey {hostKey}",
                $"AuthorizedKeysFile {authorizedKeysFile}",
                "PidFile none",
                // The temp directory's permissions are not what StrictModes expects of a home directory.
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                $"AllowUsers {Environment.UserName}",
                "LogLevel VERBOSE",
            ]);
            var server = await ChildServer.StartAsync("/usr/sbin/sshd", ["-D", "-e", "-f", configFile], port);
            return new SshServer(directory, server, (await File.ReadAllTextAsync(hostKey + ".pub")).Trim());
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public string UrlFor(string absoluteRepositoryPath) => $"ssh://{Environment.UserName}@127.0.0.1:{Port}{absoluteRepositoryPath}";

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        directory.Dispose();
    }
}
