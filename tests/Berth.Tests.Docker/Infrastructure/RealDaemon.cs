using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Berth.Reconciler.Loop;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// `berth daemon` as a child process with the real reconcile pass: it follows a <see cref="GitRepository"/>
/// and converges the real engine under the test's host identity. Its state directory survives a restart
/// (<see cref="RestartAsync"/>) as it does on a host.
/// </summary>
public sealed class RealDaemon : IAsyncDisposable
{
    private readonly string directory;
    private BerthProcess? process;

    private RealDaemon(string directory, int port)
    {
        this.directory = directory;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        Http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri BaseUrl { get; }

    public HttpClient Http { get; }

    public string Output => process?.Output ?? "";

    /// <summary>For `berth status/sync --config`: the CLI finds the daemon's API token through it.</summary>
    public string ConfigFile => Path.Combine(directory, "berth.yaml");

    /// <summary>The daemon's state directory (`stateDir`).</summary>
    public string StateDirectory => Path.Combine(directory, "state");

    /// <param name="interval">The poll interval; a long one leaves webhooks and `berth sync` as the only triggers after the first pass.</param>
    /// <param name="allowedSigners">When set: `signatures: policy: required` with this allowed_signers content.</param>
    /// <param name="policy">When set: the config's `policy:` section, as YAML lines under it (two-space indented).</param>
    /// <param name="hostEnvFiles">`spec.hostEnvFiles`: host-local env files with the secrets the repository refers to.</param>
    /// <param name="ageKeyFile">`spec.ageKeyFile`: the host's age identity, for SOPS-encrypted files of the repository.</param>
    /// <param name="secretFilesDirectory">`spec.secretFilesDirectory`: a tmpfs directory for secrets and configs (/run is no tmpfs on every test machine).</param>
    /// <param name="extraConfig">Top-level sections appended to berth.yaml as written (e.g. `forge:`, `notifications:`, `waves:`).</param>
    public static async Task<RealDaemon> StartAsync(string hostIdentity, GitRepository repository, string? dockerHost = null, string interval = "2s", string? allowedSigners = null, string? policy = null, IReadOnlyList<string>? hostEnvFiles = null, string? ageKeyFile = null, string? secretFilesDirectory = null, string? extraConfig = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "berth-daemon-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var port = FreePort();
        File.WriteAllText(Path.Combine(directory, "github.secret"), "e2e-secret\n");
        var signatures = "";
        if (allowedSigners is not null)
        {
            File.WriteAllText(Path.Combine(directory, "allowed_signers"), allowedSigners + "\n");
            signatures = "\n  signatures:\n    policy: required\n    allowedSignersFile: allowed_signers";
        }

        File.WriteAllText(Path.Combine(directory, "berth.yaml"), $"""
            host: {hostIdentity}
            listen: 127.0.0.1:{port}
            stateDir: {Path.Combine(directory, "state")}
            {(dockerHost is null ? "" : "dockerHost: " + dockerHost)}
            reconcile:
              interval: {interval}
              jitter: 0s
              retryInitialDelay: 1s
              retryMaxDelay: 2s
            source:
              url: {repository.BareDirectory}
              branch: main{signatures}
            webhooks:
              github:
                secretFile: github.secret
            {(hostEnvFiles is { Count: > 0 } || ageKeyFile is not null || secretFilesDirectory is not null ? "spec:" : "")}
              {(hostEnvFiles is { Count: > 0 } ? "hostEnvFiles: [" + string.Join(", ", hostEnvFiles) + "]" : "")}
              {(ageKeyFile is null ? "" : "ageKeyFile: " + ageKeyFile)}
              {(secretFilesDirectory is null ? "" : "secretFilesDirectory: " + secretFilesDirectory)}
            """ + (policy is null ? "" : "\npolicy:\n" + policy) + (extraConfig is null ? "" : "\n" + extraConfig));
        var daemon = new RealDaemon(directory, port);
        await daemon.RestartAsync();
        return daemon;
    }

    /// <summary>Starts (again) with the same config and state directory, and waits for /healthz.</summary>
    public async Task RestartAsync()
    {
        process?.Dispose();
        process = BerthProcess.Start("daemon", "--config", Path.Combine(directory, "berth.yaml"));
        await PollAsync(async () => (await TryGetAsync("healthz"))?.StatusCode == HttpStatusCode.OK ? true : (bool?)null, "the daemon to answer /healthz", TimeSpan.FromSeconds(30));
        // A new token at each start (written before the listener answers): /status evidence and /sync need it.
        var token = (await File.ReadAllTextAsync(Path.Combine(directory, "state", "http-token"))).Trim();
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<StatusSnapshot> StatusAsync() =>
        (await Http.GetFromJsonAsync("status", StatusJsonContext.Default.StatusSnapshot))!;

    /// <summary>Polls /status until the predicate holds, with a deadline; fails with the last status and the daemon's log.</summary>
    public async Task<StatusSnapshot> WaitForStatusAsync(Func<StatusSnapshot, bool> predicate, string what, TimeSpan within)
    {
        StatusSnapshot? last = null;
        try
        {
            return await PollAsync(async () =>
            {
                last = await StatusAsync();
                return predicate(last) ? last : null;
            }, what, within);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"{exception.Message}\nlast status: {last?.LastAttempted?.Outcome} {last?.LastAttempted?.Summary}\ndaemon output:\n{Output}");
        }
    }

    public async Task<int> StopAsync(TimeSpan within)
    {
        if (process is null)
        {
            return 0;
        }

        process.Terminate();
        return await process.WaitForExitAsync(within);
    }

    private async Task<HttpResponseMessage?> TryGetAsync(string path)
    {
        try
        {
            return await Http.GetAsync(path);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe, string what, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {within} waiting for {what}");
            }

            await Task.Delay(200);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            process.Terminate();
            try
            {
                await process.WaitForExitAsync(TimeSpan.FromSeconds(20));
            }
            catch (OperationCanceledException)
            {
            }

            process.Dispose();
        }

        Http.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
