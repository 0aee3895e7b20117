using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>
/// The desired-state repository on a real git server on the machine, as a host's berth would reach
/// its repository: a bare repository in a temporary directory, served by `git daemon` (git://) on the
/// Docker bridge's gateway address, which the systemd container reaches over its own network (the
/// unit's RestrictAddressFamilies, PrivateTmp and ProtectHome apply to that fetch, and its name goes
/// through the container's resolver: <see cref="ServerName"/> is an /etc/hosts entry made by
/// `docker run --add-host`). Seeded with examples/repo made unique to the test (as the Docker tests'
/// TestRepository does): the stack "shop" and the host "demo" are renamed to the test's scope id, so
/// the containers berth creates on the shared engine cannot collide with anyone else's.
/// </summary>
/// <remarks>
/// Why git:// on the bridge gateway: it is a real network fetch (TCP, name resolution) with nothing to
/// install in the image; the gateway address is the machine's own, reachable only from its containers
/// (host networking would share the host's loopback, and every test's berth listens on 127.0.0.1:9750).
/// Not covered: TLS (https:// and ca-certificates) needs a certificate the container trusts.
/// </remarks>
public sealed class DesiredStateRepository : IDisposable
{
    /// <summary>The git server's name inside the container (`--add-host`); .test is reserved for tests.</summary>
    public const string ServerName = "berth-git.test";
    public const string Branch = "main";
    private const string RepositoryName = "desired.git";

    private static readonly TimeSpan GitTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ServerStartTimeout = TimeSpan.FromSeconds(15);

    private readonly StringBuilder serverOutput = new();
    private Process? server;

    private DesiredStateRepository(string root, IPAddress gateway)
    {
        Root = root;
        Gateway = gateway;
    }

    public string Root { get; }

    /// <summary>The Docker bridge's gateway: the machine as its containers see it, where the server listens.</summary>
    public IPAddress Gateway { get; }

    public int Port { get; private set; }

    /// <summary>The bare repository on the host (what the server serves).</summary>
    public string BarePath => Path.Combine(Root, RepositoryName);

    /// <summary>What berth's config says: source.url.</summary>
    public string Url => $"git://{ServerName}:{Port}/{RepositoryName}";

    /// <summary>The `docker run` option that lets the container resolve <see cref="ServerName"/>.</summary>
    public string AddHostOption => $"{ServerName}:{Gateway}";

    private string WorkPath => Path.Combine(Root, "work");

    /// <summary>Creates the repository from examples/repo with stack and host renamed to <paramref name="hostName"/>, and serves it.</summary>
    public static async Task<DesiredStateRepository> CreateAsync(string hostName)
    {
        var gateway = await BridgeGatewayAsync();
        var repository = new DesiredStateRepository(Directory.CreateTempSubdirectory("berth-systemd-repo-").FullName, gateway);
        try
        {
            await repository.GitAsync(repository.Root, "init", "--quiet", "--bare", "--initial-branch", Branch, repository.BarePath);
            CopyExample(Path.Combine(RepositoryRoot.Path, "examples/repo"), repository.WorkPath, hostName);
            await repository.GitAsync(repository.WorkPath, "init", "--quiet", "--initial-branch", Branch);
            await repository.CommitAndPushAsync("example stack for the systemd test");
            await repository.StartServerAsync();
            return repository;
        }
        catch
        {
            repository.Dispose();
            throw;
        }
    }

    /// <summary>Edits a file of the working copy, commits and pushes; returns the new commit id.</summary>
    public async Task<string> CommitAsync(string relativePath, Func<string, string> edit, string message)
    {
        var file = Path.Combine(WorkPath, relativePath);
        await File.WriteAllTextAsync(file, edit(await File.ReadAllTextAsync(file)));
        return await CommitAndPushAsync(message);
    }

    /// <summary>What the server printed (connections and errors, with --verbose), for failure messages.</summary>
    public string ServerOutput
    {
        get
        {
            lock (serverOutput)
            {
                return serverOutput.ToString();
            }
        }
    }

    public void Dispose()
    {
        if (server is not null)
        {
            // git daemon forks a child per connection: kill the whole tree.
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }

            server.WaitForExit(TimeSpan.FromSeconds(10));
            server.Dispose();
        }

        Directory.Delete(Root, recursive: true);
    }

    private async Task StartServerAsync()
    {
        // A free port on the gateway address. The port is free when chosen; another process taking it
        // before git daemon binds makes the daemon exit, which the readiness wait below reports.
        using (var probe = new TcpListener(Gateway, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        var info = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Only this bare repository is served (the whitelist argument), never the working copy next to it.
        foreach (var argument in new[]
                 {
                     "daemon", "--reuseaddr", $"--listen={Gateway}", $"--port={Port}", $"--base-path={Root}",
                     "--export-all", "--informative-errors", "--verbose", BarePath,
                 })
        {
            info.ArgumentList.Add(argument);
        }

        server = Process.Start(info) ?? throw new InvalidOperationException("could not start git daemon");
        server.OutputDataReceived += (_, line) => AppendServerOutput(line.Data);
        server.ErrorDataReceived += (_, line) => AppendServerOutput(line.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        // Ready once it accepts a connection (git daemon closes an idle one after its timeout; we close first).
        await Deadline.UntilAsync(async () =>
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"git daemon on {Gateway}:{Port} exited with {server.ExitCode}:\n{ServerOutput}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(Gateway, Port);
                return ("listening", "listening");
            }
            catch (SocketException error)
            {
                return (null, error.Message);
            }
        }, $"git daemon to listen on {Gateway}:{Port}", ServerStartTimeout);
    }

    private void AppendServerOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (serverOutput)
        {
            serverOutput.AppendLine(line);
        }
    }

    /// <summary>
    /// The default bridge's gateway: the IPv4 address of the bridge's interface on this machine (docker0
    /// unless the engine is configured otherwise), where containers on the bridge reach the host.
    /// </summary>
    /// <remarks>
    /// The interface, not the engine's IPAM config, is the source of truth: a freshly installed engine
    /// (docker.io 20.10.24 on first start) reports only the subnet (<c>{"Config":[{"Subnet":"172.17.0.0/16"}]}</c>)
    /// and no gateway, while an engine with history lists one. Both put the address on the interface.
    /// </remarks>
    private static async Task<IPAddress> BridgeGatewayAsync()
    {
        var inspect = await Command.CheckedAsync(SystemdContainer.DockerCli,
            ["network", "inspect", "bridge", "--format", "{{index .Options \"com.docker.network.bridge.name\"}}"], GitTimeout);
        var interfaceName = inspect.Stdout.Trim();
        if (interfaceName.Length == 0)
        {
            throw new InvalidOperationException("the engine's default bridge network names no host interface (option com.docker.network.bridge.name)");
        }

        var bridge = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(candidate => candidate.Name == interfaceName)
            ?? throw new InvalidOperationException($"the engine's bridge interface {interfaceName} does not exist on this machine");
        return bridge.GetIPProperties().UnicastAddresses
                   .Select(unicast => unicast.Address)
                   .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork)
               ?? throw new InvalidOperationException($"the engine's bridge interface {interfaceName} has no IPv4 address");
    }

    private async Task<string> CommitAndPushAsync(string message)
    {
        await GitAsync(WorkPath, "add", "--all");
        await GitAsync(WorkPath, "-c", "user.name=berth test", "-c", "user.email=test@berth.invalid", "commit", "--quiet", "-m", message);
        await GitAsync(WorkPath, "push", "--quiet", BarePath, $"HEAD:refs/heads/{Branch}");
        return (await GitAsync(WorkPath, "rev-parse", "HEAD")).Stdout.Trim();
    }

    private Task<CommandResult> GitAsync(string directory, params string[] arguments) =>
        Command.CheckedAsync("git", arguments, GitTimeout, workingDirectory: directory);

    private static void CopyExample(string from, string to, string scopeId)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file).Replace("shop", scopeId, StringComparison.Ordinal));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, File.ReadAllText(file)
                .Replace("shop", scopeId, StringComparison.Ordinal)
                .Replace("demo", scopeId, StringComparison.Ordinal));
        }
    }
}
