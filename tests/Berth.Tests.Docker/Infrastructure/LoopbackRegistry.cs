using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// A real registry for one test: Debian's <c>docker-registry</c> (Distribution 2.8, installed by
/// scripts/ensure-registry.sh) serving on 127.0.0.1 at a free port, with its own storage directory,
/// optionally behind htpasswd (basic) auth and/or TLS with a CA made for this test. The test pushes
/// local images (<see cref="TestImages"/>) under a name and tag, moves a tag to another image, stops
/// and restarts the server ("registry down"), and disposal kills the server, removes its files, the
/// engine's certs.d entry and every local image tagged with this registry's address (those the test
/// pushed and those berth pulled), and nothing else.
/// </summary>
/// <remarks>
/// The engine treats 127.0.0.0/8 registries as insecure: plain HTTP is accepted, and over TLS it
/// would fall back to not verifying. The CA is still written to /etc/docker/certs.d/&lt;host:port&gt;/ca.crt
/// (read per pull, no engine restart) so the engine pulls the way it would from a real TLS registry.
/// </remarks>
public sealed class LoopbackRegistry : IAsyncDisposable
{
    private const string RegistryBinary = "/usr/bin/docker-registry";
    private readonly string root;
    private readonly string configPath;
    private readonly StringBuilder output = new();
    private readonly IDockerClient docker;
    private Process? server;

    private LoopbackRegistry(string root, int port, RegistryOptions options, IDockerClient docker)
    {
        this.root = root;
        this.docker = docker;
        Port = port;
        Options = options;
        configPath = Path.Combine(root, "config.yml");
    }

    /// <summary>"127.0.0.1:PORT": the registry part of an image reference.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public int Port { get; }

    public RegistryOptions Options { get; }

    /// <summary>The CA certificate (PEM) that signed the server's certificate, when TLS is on.</summary>
    public string? CaCertificatePath => Options.Tls ? Path.Combine(root, "ca.crt") : null;

    /// <summary>
    /// A Docker client config.json (under this registry's temporary directory) holding
    /// <paramref name="username"/>:<paramref name="password"/> for this registry in <c>auths</c>, the
    /// way <c>docker login</c> writes it without a credential store.
    /// </summary>
    public string WriteDockerConfig(string username, string password)
    {
        var path = Path.Combine(root, "docker-config-" + Guid.NewGuid().ToString("N")[..8], "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
        File.WriteAllText(path, $$"""{ "auths": { "{{Address}}": { "auth": "{{auth}}" } } }""");
        return path;
    }

    /// <summary>The output of the registry process so far (for failure messages).</summary>
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

    public static async Task<LoopbackRegistry> StartAsync(RegistryOptions? options = null)
    {
        options ??= new RegistryOptions();
        var root = Path.Combine(Path.GetTempPath(), "berth-registry-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var registry = new LoopbackRegistry(root, FreeLoopbackPort(), options, Berth.Reconciler.Engine.DockerClientFactory.Create(null, TimeSpan.FromSeconds(60)));
        try
        {
            await registry.WriteConfigurationAsync();
            await registry.StartServingAsync();
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }

        return registry;
    }

    /// <summary>Starts the server (again, after <see cref="StopServingAsync"/>) on the same port and storage; returns once it answers.</summary>
    public async Task StartServingAsync()
    {
        if (!File.Exists(RegistryBinary))
        {
            throw new InvalidOperationException($"{RegistryBinary} is missing: run scripts/ensure-registry.sh");
        }

        var startInfo = new ProcessStartInfo(RegistryBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("serve");
        startInfo.ArgumentList.Add(configPath);
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        server = process;
        await WaitUntilAnsweringAsync(process);
    }

    /// <summary>Kills the server (the storage stays): the registry is down until <see cref="StartServingAsync"/>.</summary>
    public async Task StopServingAsync()
    {
        if (server is not { } process)
        {
            return;
        }

        server = null;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>The reference of <paramref name="repository"/>:<paramref name="tag"/> in this registry.</summary>
    public string Reference(string repository, string tag) => $"{Address}/{repository}:{tag}";

    /// <summary>
    /// Pushes the local image <paramref name="localImage"/> as <paramref name="repository"/>:<paramref name="tag"/>
    /// (moving the tag when it already pointed elsewhere). The engine's local references under this registry's
    /// name are as before the push (none, or what berth pulled): what runs from the registry must be pulled.
    /// </summary>
    /// <returns>The manifest digest the registry now serves for the tag.</returns>
    public async Task<string> PushAsync(string localImage, string repository, string tag)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var target = $"{Address}/{repository}";
        // What the engine has under this name now (pulled by berth): put back after the push, which needs the name.
        string? pulledBefore = null;
        try
        {
            pulledBefore = (await docker.Images.InspectImageAsync($"{target}:{tag}", timeout.Token)).ID;
        }
        catch (DockerApiException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
        }

        await docker.Images.TagImageAsync(localImage, new ImageTagParameters { RepositoryName = target, Tag = tag }, timeout.Token);
        var errors = new PushErrors();
        await docker.Images.PushImageAsync(target, new ImagePushParameters { Tag = tag }, PushAuth(), errors, timeout.Token);
        if (errors.Error is { } error)
        {
            throw new InvalidOperationException($"pushing {localImage} to {target}:{tag} failed: {error}{Environment.NewLine}{Output}");
        }

        var digest = await ManifestDigestAsync(repository, tag)
            ?? throw new InvalidOperationException($"{target}:{tag} has no manifest after the push");

        // The push leaves the registry's name on the local image (as a tag and a digest reference): removed, so
        // that the engine has the image under this registry's name only once berth pulled it. Untagging only:
        // the local source image keeps its own tag.
        foreach (var reference in new[] { $"{target}:{tag}", $"{target}@{digest}" })
        {
            try
            {
                await docker.Images.DeleteImageAsync(reference, new ImageDeleteParameters(), timeout.Token);
            }
            catch (DockerApiException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }

        if (pulledBefore is not null)
        {
            await docker.Images.TagImageAsync(pulledBefore, new ImageTagParameters { RepositoryName = target, Tag = tag }, timeout.Token);
        }

        return digest;
    }

    /// <summary>
    /// Uploads an image made of <paramref name="layers"/> (<see cref="LayeredTestImage"/>) straight to the
    /// registry (blobs, config, a schema 2 manifest), without the engine: none of it is on the host until
    /// something pulls it. Its command is <paramref name="command"/>, with PATH=/bin.
    /// </summary>
    /// <returns>The manifest digest the registry serves for the tag.</returns>
    public async Task<string> PushLayersAsync(string repository, string tag, IReadOnlyList<LayeredTestImage.Layer> layers, params string[] command)
    {
        using var http = HttpClientForRegistry();
        http.Timeout = TimeSpan.FromSeconds(120);
        var config = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "amd64",
            os = "linux",
            config = new { Env = new[] { "PATH=/bin" }, Cmd = command },
            rootfs = new { type = "layers", diff_ids = layers.Select(layer => layer.DiffId).ToArray() },
        });
        var configDigest = await UploadBlobAsync(http, repository, config);
        foreach (var layer in layers)
        {
            await UploadBlobAsync(http, repository, layer.Compressed);
        }

        const string ManifestType = "application/vnd.docker.distribution.manifest.v2+json";
        var manifest = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = ManifestType,
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", size = config.Length, digest = configDigest },
            layers = layers.Select(layer => new { mediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip", size = layer.Compressed.Length, digest = layer.Digest }).ToArray(),
        });
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
        using var response = await http.PutAsync($"{BaseUrl}/v2/{repository}/manifests/{tag}", content);
        await EnsureRegistryAcceptedAsync(response, $"the manifest of {repository}:{tag}");
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    /// <summary>A monolithic blob upload (POST for a session, PUT with the digest); returns the blob's digest.</summary>
    private async Task<string> UploadBlobAsync(HttpClient http, string repository, byte[] blob)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(blob));
        using var session = await http.PostAsync($"{BaseUrl}/v2/{repository}/blobs/uploads/", null);
        await EnsureRegistryAcceptedAsync(session, $"an upload session for {repository}");
        var location = new Uri(new Uri(BaseUrl), session.Headers.Location!);
        var separator = location.Query.Length > 0 ? "&" : "?";
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var upload = await http.PutAsync($"{location}{separator}digest={Uri.EscapeDataString(digest)}", content);
        await EnsureRegistryAcceptedAsync(upload, $"blob {digest} of {repository}");
        return digest;
    }

    private async Task EnsureRegistryAcceptedAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the registry refused {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}{Environment.NewLine}{Output}");
        }
    }

    /// <summary>Moves <paramref name="repository"/>:<paramref name="tag"/> to <paramref name="localImage"/>: a push under the same tag.</summary>
    public Task<string> MoveTagAsync(string localImage, string repository, string tag) => PushAsync(localImage, repository, tag);

    /// <summary>The digest the registry serves for the tag (a manifest HEAD), or null when it has none.</summary>
    public async Task<string?> ManifestDigestAsync(string repository, string tag)
    {
        using var http = HttpClientForRegistry();
        using var request = new HttpRequestMessage(HttpMethod.Head, $"{BaseUrl}/v2/{repository}/manifests/{tag}");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.list.v2+json");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.index.v1+json");
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    public string BaseUrl => $"{(Options.Tls ? "https" : "http")}://{Address}";

    public async ValueTask DisposeAsync()
    {
        // Files first: they go even when the engine does not answer (the images' removal then throws).
        await StopServingAsync();
        if (Options.Tls)
        {
            TryDeleteDirectory(EngineCertificateDirectory);
        }

        TryDeleteDirectory(root);
        try
        {
            await RemoveLocalImagesAsync();
        }
        finally
        {
            docker.Dispose();
        }
    }

    /// <summary>Where the engine looks for this registry's CA (per pull, no restart needed).</summary>
    private string EngineCertificateDirectory => Path.Combine("/etc/docker/certs.d", Address);

    private AuthConfig? PushAuth() => Options.Username is null
        ? null
        : new AuthConfig { Username = Options.Username, Password = Options.Password, ServerAddress = Address };

    private HttpClient HttpClientForRegistry()
    {
        var handler = new HttpClientHandler();
        if (CaCertificatePath is { } caPath)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
            handler.ServerCertificateCustomValidationCallback = (_, certificate, chain, errors) =>
            {
                if (certificate is null || chain is null)
                {
                    return false;
                }

                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                return chain.Build(certificate);
            };
        }

        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        if (Options.Username is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Options.Username}:{Options.Password}")));
        }

        return http;
    }

    private async Task WriteConfigurationAsync()
    {
        var storage = Path.Combine(root, "storage");
        Directory.CreateDirectory(storage);
        var yaml = new StringBuilder();
        yaml.AppendLine("version: 0.1");
        yaml.AppendLine("log: { level: warn }");
        yaml.AppendLine($"storage: {{ filesystem: {{ rootdirectory: {storage} }}, delete: {{ enabled: true }} }}");
        yaml.AppendLine("http:");
        yaml.AppendLine($"  addr: {Address}");
        if (Options.Tls)
        {
            await RegistryCertificates.CreateAsync(root, "127.0.0.1");
            yaml.AppendLine($"  tls: {{ certificate: {Path.Combine(root, "server.crt")}, key: {Path.Combine(root, "server.key")} }}");
            Directory.CreateDirectory(EngineCertificateDirectory);
            File.Copy(Path.Combine(root, "ca.crt"), Path.Combine(EngineCertificateDirectory, "ca.crt"), overwrite: true);
        }

        if (Options.Username is not null)
        {
            // The registry accepts only bcrypt entries: htpasswd -B.
            var htpasswdPath = Path.Combine(root, "htpasswd");
            var line = await RegistryCertificates.RunAsync("htpasswd", ["-Bbn", Options.Username, Options.Password ?? ""]);
            await File.WriteAllTextAsync(htpasswdPath, line.Trim() + "\n");
            yaml.AppendLine($"auth: {{ htpasswd: {{ realm: berth-test, path: {htpasswdPath} }} }}");
        }

        await File.WriteAllTextAsync(configPath, yaml.ToString());
    }

    private async Task WaitUntilAnsweringAsync(Process process)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        using var http = HttpClientForRegistry();
        http.DefaultRequestHeaders.Authorization = null;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited with {process.ExitCode}:{Environment.NewLine}{Output}");
            }

            try
            {
                // 200 without auth, 401 with it: either way the server answers.
                using var response = await http.GetAsync($"{BaseUrl}/v2/");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"docker-registry did not answer on {BaseUrl} within 20 s:{Environment.NewLine}{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Removes every local image tagged with this registry's address (pushed by the test or pulled by berth).</summary>
    private async Task RemoveLocalImagesAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var images = await docker.Images.ListImagesAsync(new ImagesListParameters { All = true }, timeout.Token);
        var prefix = Address + "/";
        foreach (var reference in images.SelectMany(image => (image.RepoTags ?? []).Concat(image.RepoDigests ?? [])).Where(reference => reference.StartsWith(prefix, StringComparison.Ordinal)).Distinct())
        {
            try
            {
                // Untags only (no force): an image a leftover container still uses stays, the local source image is never deleted.
                await docker.Images.DeleteImageAsync(reference, new ImageDeleteParameters { NoPrune = false }, timeout.Token);
            }
            catch (DockerApiException)
            {
            }
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

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Collects a push stream's error as it is read (see EngineStreamErrors for why not Progress&lt;T&gt;).</summary>
    private sealed class PushErrors : IProgress<JSONMessage>
    {
        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if (!string.IsNullOrEmpty(value.Error?.Message))
            {
                Error = value.Error.Message;
            }
        }
    }
}

/// <summary>How a <see cref="LoopbackRegistry"/> serves.</summary>
/// <param name="Username">With a user, the registry requires htpasswd (basic) auth for every request.</param>
/// <param name="Tls">Serve HTTPS with a certificate for 127.0.0.1 signed by a CA made for this registry.</param>
public sealed record RegistryOptions(string? Username = null, string? Password = null, bool Tls = false);
