using Berth.Tests.Shared;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Process.Infrastructure;

/// <summary>How to start the daemon under test.</summary>
internal sealed record DaemonSetup
{
    /// <summary>The pass script (see ScriptedPass in src/Daemon/Passes): JSON the fake pass returns.</summary>
    public string PassScript { get; init; } = PassScripts.Converged("0123456789abcdef");

    /// <summary>Run as if under systemd: NOTIFY_SOCKET set and SYSTEMD_EXEC_PID = the child's pid.</summary>
    public bool UnderSystemd { get; init; }

    /// <summary>WATCHDOG_USEC for the child (only with <see cref="UnderSystemd"/>).</summary>
    public TimeSpan? Watchdog { get; init; }

    /// <summary>berth's state file as an earlier daemon process left it (written before the start), or null for none.</summary>
    public Berth.Reconciler.State.AppliedState? SavedState { get; init; }

    /// <summary>Extra lines appended under `reconcile:`.</summary>
    public string ReconcileYaml { get; init; } = "  interval: 30s\n  jitter: 1s\n";

    /// <summary>The address the listener binds (with a free port); loopback unless the test made a network namespace for another one.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>Run the daemon inside this network namespace (`ip netns exec`), or null.</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>When set: written to a 0600 file that `http.tokenFile` names (else the daemon generates its token).</summary>
    public string? ApiToken { get; init; }
}

/// <summary>
/// The real `berth daemon` as a child process, with a temporary config on a free loopback port. Disposing
/// kills it if it still runs (a failing test must not leave daemons behind) and deletes its files.
/// </summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    public const string GitHubSecret = "process-test-secret";
    public const string Branch = "main";

    private readonly StringBuilder output = new();
    private readonly System.Diagnostics.Process process;

    private DaemonProcess(string directory, string address, int port, System.Diagnostics.Process process, NotifySocket? notify, bool configuredToken)
    {
        Directory = directory;
        BaseUrl = new Uri($"http://{address}:{port}/");
        TokenFile = configuredToken ? Path.Combine(directory, "api.token") : Path.Combine(directory, "state", "http-token");
        this.process = process;
        Notify = notify;
        Http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Directory { get; }

    public Uri BaseUrl { get; }

    public HttpClient Http { get; }

    public NotifySocket? Notify { get; }

    public int ProcessId => process.Id;

    public string ScriptFile => Path.Combine(Directory, "pass.json");

    public string ConfigFile => Path.Combine(Directory, "berth.yaml");

    /// <summary>The API token: the configured file, or the one the daemon generates at start in its state directory.</summary>
    public string TokenFile { get; }

    /// <summary>A request carrying the daemon's API token, as `berth sync` sends it.</summary>
    public HttpRequestMessage WithToken(HttpMethod method, string relativeUri) =>
        new(method, new Uri(relativeUri, UriKind.Relative))
        {
            Headers = { { "Authorization", "Bearer " + File.ReadAllText(TokenFile).Trim() } },
        };

    /// <summary>POST /sync with the token; the caller disposes the answer.</summary>
    public async Task<HttpResponseMessage> SyncWithTokenAsync(string query = "")
    {
        using var request = WithToken(HttpMethod.Post, "sync" + query);
        return await Http.SendAsync(request);
    }

    /// <summary>stdout and stderr so far, for assertion messages.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<DaemonProcess> StartAsync(DaemonSetup setup)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("berth-process-").FullName;
        var port = FreeLoopbackPort();
        await File.WriteAllTextAsync(Path.Combine(directory, "github.secret"), GitHubSecret + "\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "pass.json"), setup.PassScript);
        var httpYaml = "";
        if (setup.ApiToken is { } apiToken)
        {
            var tokenFile = Path.Combine(directory, "api.token");
            await File.WriteAllTextAsync(tokenFile, apiToken + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            httpYaml = "http:\n  tokenFile: api.token\n";
        }

        if (setup.SavedState is { } savedState)
        {
            await new Berth.Reconciler.State.StateStore(Path.Combine(directory, "state")).SaveAsync(savedState with { Host = "process-test" }, CancellationToken.None);
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "berth.yaml"), $"""
            host: process-test
            listen: {setup.ListenAddress}:{port}
            stateDir: {directory}/state
            reconcile:
            {setup.ReconcileYaml}
            source:
              url: https://git.example.com/ops/hosts.git
              branch: {Branch}
            webhooks:
              github:
                secretFile: github.secret
            {httpYaml}
            """);

        var notify = setup.UnderSystemd ? new NotifySocket(directory) : null;
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // `exec` keeps the pid, so SYSTEMD_EXEC_PID / WATCHDOG_PID name the daemon itself, as systemd does.
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(setup.UnderSystemd ? "export SYSTEMD_EXEC_PID=$$ WATCHDOG_PID=$$; exec \"$@\"" : "exec \"$@\"");
        start.ArgumentList.Add("sh");
        if (setup.NetworkNamespace is { } networkNamespace)
        {
            start.ArgumentList.Add("ip");
            start.ArgumentList.Add("netns");
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(networkNamespace);
        }

        foreach (var part in BerthExecutable.CommandLine(BerthBinary.DllPath, BerthBinary.DotnetHost))
        {
            start.ArgumentList.Add(part);
        }

        start.ArgumentList.Add("daemon");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(Path.Combine(directory, "berth.yaml"));
        start.Environment["BERTH_TEST_PASS_SCRIPT"] = Path.Combine(directory, "pass.json");
        start.Environment.Remove("NOTIFY_SOCKET");
        start.Environment.Remove("WATCHDOG_USEC");
        start.Environment.Remove("WATCHDOG_PID");
        start.Environment.Remove("SYSTEMD_EXEC_PID");
        if (notify is not null)
        {
            start.Environment["NOTIFY_SOCKET"] = notify.Path;
            if (setup.Watchdog is { } watchdog)
            {
                start.Environment["WATCHDOG_USEC"] = ((long)watchdog.TotalMicroseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        var process = new System.Diagnostics.Process { StartInfo = start, EnableRaisingEvents = true };
        var daemon = new DaemonProcess(directory, setup.ListenAddress, port, process, notify, setup.ApiToken is not null);
        process.OutputDataReceived += (_, line) => daemon.Append(line.Data);
        process.ErrorDataReceived += (_, line) => daemon.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>Waits until /healthz answers 200.</summary>
    public async Task WaitUntilHealthyAsync()
    {
        await Deadline.UntilAsync<string>(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"berth daemon exited with {process.ExitCode}:\n{Output}");
            }

            using var response = await Http.GetAsync(new Uri("healthz", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? "healthy" : null;
        }, "/healthz to answer 200");
    }

    public async Task<StatusSnapshot> GetStatusAsync()
    {
        var json = await Http.GetStringAsync(new Uri("status", UriKind.Relative));
        return JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusSnapshot)!;
    }

    /// <summary>Replaces the pass script atomically (the next pass reads the new one).</summary>
    public async Task SetPassScriptAsync(string json)
    {
        var temporary = ScriptFile + ".tmp";
        await File.WriteAllTextAsync(temporary, json);
        File.Move(temporary, ScriptFile, overwrite: true);
    }

    /// <summary>What systemd does on `systemctl stop`.</summary>
    public async Task SendSigtermAsync()
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>The exit code, or a TimeoutException when the process is still running after <paramref name="within"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var deadline = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"berth daemon still running after {within.TotalSeconds} s:\n{Output}");
        }

        return process.ExitCode;
    }

    /// <summary>Runs another `berth` command (status, sync) against this daemon.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(params string[] args)
    {
        var start = BerthExecutable.StartInfo(BerthBinary.DllPath, args, BerthBinary.DotnetHost);

        using var cli = System.Diagnostics.Process.Start(start)!;
        var stdout = cli.StandardOutput.ReadToEndAsync();
        var stderr = cli.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline.Default);
        try
        {
            await cli.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            cli.Kill(entireProcessTree: true);
            throw new TimeoutException($"berth {string.Join(' ', args)} did not finish");
        }

        return (cli.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        Http.Dispose();
        Notify?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
