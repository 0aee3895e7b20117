using System.Diagnostics;
using System.Globalization;

namespace Berth.Tests.EngineFaults;

/// <summary>
/// A Docker engine of the test's own: a second dockerd with its own data root, exec root (so its own
/// containerd), socket and pid file, in a network namespace of its own (so its default bridge, its
/// networks and whatever dockerd does to interfaces stay there), no iptables or forwarding changes, and an
/// address pool of its own. It can be stopped, restarted with live-restore off (every container stops) and started
/// again without touching the machine's engine at /var/run/docker.sock, which other tests use. Checked on
/// Debian 12 with docker.io 20.10.24: two dockerds coexist, each with its containerd under its exec root.
/// </summary>
/// <remarks>
/// Nothing outside its namespace reaches its containers (no published ports, no route from the host):
/// tests here use health checks inside the container, never traffic from outside.
/// </remarks>
public sealed class SecondEngine : IAsyncDisposable
{
    private const string Docker = "/usr/bin/docker";
    private readonly string addressPool;
    private int? pid;
    private bool namespaceCreated;

    private SecondEngine(string directory, string addressPool)
    {
        Directory = directory;
        this.addressPool = addressPool;
    }

    /// <summary>Short (a unix socket path has at most 107 bytes, containerd's lives under the exec root).</summary>
    public string Directory { get; }

    public string DockerHost => "unix://" + Path.Combine(Directory, "docker.sock");

    /// <summary>
    /// The network namespace dockerd runs in (<c>ip netns</c>; an interface-like name, 15 bytes at most).
    /// Not for isolation's sake alone: dockerd 20.10 deletes the interface <c>docker0</c> whenever it starts
    /// again with a default address pool and live-restore off (moby's "clear stale bridge network" calls
    /// removeDefaultBridgeInterface, whatever --bridge says), and <c>--bridge=none</c> deletes it at every
    /// start. In the host's namespace that is the machine engine's bridge; here it is this engine's own.
    /// Only the network namespace is entered (nsenter --net), never a mount namespace: dockerd needs the
    /// host's cgroup mounts, which <c>ip netns exec</c> would hide.
    /// </summary>
    public string Namespace { get; } = "bfe" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(5));

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    private string LogPath => Path.Combine(Directory, "dockerd.log");

    /// <summary>Starts the engine and builds the busybox test images into it (scripts/build-test-images.sh).</summary>
    /// <param name="addressPool">A /16 outside the machine engine's pools and other tests' subnets (grep tests/ before choosing).</param>
    public static async Task<SecondEngine> StartAsync(string addressPool)
    {
        if (!File.Exists("/usr/sbin/dockerd") || !File.Exists(Docker))
        {
            // Never a skip: the engine faults need a second dockerd (scripts/ensure-docker.sh installs docker.io).
            throw new InvalidOperationException("dockerd or /usr/bin/docker is missing: run scripts/ensure-docker.sh");
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("bfe-").FullName;
        var engine = new SecondEngine(directory, addressPool);
        try
        {
            await engine.StartAgainAsync();
            var images = await RunAsync(Path.Combine(RepositoryRoot(), "scripts", "build-test-images.sh"), [], engine.DockerHost, TimeSpan.FromMinutes(2));
            if (images.ExitCode != 0)
            {
                throw new InvalidOperationException($"build-test-images.sh failed against the second engine:\n{images.Output}");
            }

            return engine;
        }
        catch
        {
            // Nothing of a failed start is left behind: its dockerd (by its pid file), namespace and directory.
            await engine.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts dockerd (again) and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        if (!namespaceCreated)
        {
            await RunCheckedAsync("/usr/sbin/ip", "netns", "add", Namespace);
            namespaceCreated = true;
            await RunCheckedAsync("/usr/sbin/ip", "netns", "exec", Namespace, "ip", "link", "set", "lo", "up");
        }

        string[] dockerd =
        [
            "/usr/bin/nsenter", "--net=/run/netns/" + Namespace, "/usr/sbin/dockerd", "--data-root", Path.Combine(Directory, "data"), "--exec-root", Path.Combine(Directory, "exec"),
            "--pidfile", Path.Combine(Directory, "docker.pid"), "-H", DockerHost, "--iptables=false",
            "--ip-forward=false", "--ip-masq=false", "--default-address-pool", $"base={addressPool},size=24",
            "--live-restore=false",
        ];
        // Detached in its own session (setsid), its output in a file the test reads when it does not come up.
        using var launcher = Process.Start(new ProcessStartInfo("sh", ["-c", "setsid \"$@\" >>\"$LOG\" 2>&1 </dev/null &", "sh", .. dockerd])
        {
            UseShellExecute = false,
            Environment = { ["LOG"] = LogPath },
        })!;
        await launcher.WaitForExitAsync();
        await PollAsync(async () => (await DockerAsync(TimeSpan.FromSeconds(5), "version", "--format", "{{.Server.Version}}")).ExitCode == 0, "the second engine to answer", TimeSpan.FromSeconds(90));
        pid = int.Parse((await File.ReadAllTextAsync(Path.Combine(Directory, "docker.pid"))).Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>SIGTERM to dockerd (by its pid) and waits for it to exit: with live-restore off, every container stops.</summary>
    public async Task StopAsync()
    {
        if (pid is not { } running)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", running.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await PollAsync(() => Task.FromResult(!System.IO.Directory.Exists($"/proc/{running}")), "the second engine to exit", TimeSpan.FromSeconds(90));
        pid = null;
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    private static async Task RunCheckedAsync(string file, params string[] arguments)
    {
        var (exitCode, output) = await RunAsync(file, arguments, "", TimeSpan.FromSeconds(30));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({exitCode}): {output}");
        }
    }

    /// <summary>`docker` against this engine; throws with its output on a non-zero exit.</summary>
    public async Task<string> DockerAsync(params string[] arguments)
    {
        var (exitCode, output) = await DockerAsync(TimeSpan.FromSeconds(60), arguments);
        return exitCode == 0 ? output.Trim() : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed ({exitCode}): {output}");
    }

    private Task<(int ExitCode, string Output)> DockerAsync(TimeSpan timeout, params string[] arguments) =>
        RunAsync(Docker, arguments, DockerHost, timeout);

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string dockerHost, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DOCKER_HOST"] = dockerHost;
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public static async Task PollAsync(Func<Task<bool>> condition, string what, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {within} waiting for {what}");
            }

            await Task.Delay(200);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("no Reconciler.sln above the test binaries");
    }

    public async ValueTask DisposeAsync()
    {
        // A start that timed out never recorded the pid: the pid file, if dockerd wrote one, still says it.
        if (pid is null && File.Exists(Path.Combine(Directory, "docker.pid"))
            && int.TryParse(File.ReadAllText(Path.Combine(Directory, "docker.pid")).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var written)
            && System.IO.Directory.Exists($"/proc/{written}"))
        {
            pid = written;
        }

        // Everything on this engine is the test's; containers first (by berth's label), then the engine.
        if (pid is not null)
        {
            var ids = (await DockerAsync(TimeSpan.FromSeconds(30), "ps", "-aq", "--filter", "label=io.berth.host")).Output
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ids.Length > 0)
            {
                await DockerAsync(TimeSpan.FromSeconds(60), ["rm", "-f", .. ids]);
            }

            await StopAsync();
        }

        if (namespaceCreated)
        {
            // dockerd is gone: its bridge and veths go with the namespace.
            await RunAsync("/usr/sbin/ip", ["netns", "del", Namespace], "", TimeSpan.FromSeconds(30));
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A mount dockerd left behind (it unmounts its own on a clean stop): the temp dir stays.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
