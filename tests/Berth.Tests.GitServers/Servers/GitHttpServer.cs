using System.Diagnostics;
using System.Net;
using System.Text;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Servers;

/// <summary>What the HTTP server demands before it lets a request reach git.</summary>
public abstract record HttpAuthentication
{
    public abstract string ExpectedHeader { get; }

    public sealed record Bearer(string Token) : HttpAuthentication
    {
        public override string ExpectedHeader => $"Bearer {Token}";
    }

    public sealed record Basic(string Username, string Password) : HttpAuthentication
    {
        public override string ExpectedHeader => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
    }
}

/// <summary>
/// The real `git http-backend` (git's smart-HTTP server, a CGI program) behind a small HTTP server on
/// .NET's HttpListener that requires authentication: a request without the right Authorization header
/// gets 401 and never reaches git. Chosen over a Python CGI wrapper or nginx+fcgiwrap because it needs
/// no extra package or config file, and the authentication rule is right here in the test's own code.
/// </summary>
public sealed class GitHttpServer : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly string projectRoot;
    private readonly HttpAuthentication authentication;
    private readonly Task serveLoop;
    private readonly List<string> requestLog = [];

    private readonly bool hangOnFetch;
    private readonly CancellationTokenSource stopping = new();

    private GitHttpServer(string projectRoot, HttpAuthentication authentication, int port, bool hangOnFetch)
    {
        this.projectRoot = projectRoot;
        this.authentication = authentication;
        this.hangOnFetch = hangOnFetch;
        Port = port;
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        serveLoop = ServeAsync();
    }

    public int Port { get; }

    /// <summary>One line per request: "GET /upstream.git/info/refs?service=git-upload-pack 200", and "fetch" when a POST asked for objects.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (requestLog)
            {
                return requestLog.ToList();
            }
        }
    }

    /// <param name="hangOnFetch">Answer ref listings, but never a request for objects: a server that stalls mid-way.</param>
    public static GitHttpServer Start(string projectRoot, HttpAuthentication authentication, bool hangOnFetch = false) =>
        new(projectRoot, authentication, FreePort.Next(), hangOnFetch);

    public string UrlFor(string repositoryName) => $"http://127.0.0.1:{Port}/{repositoryName}";

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            if (request.Headers["Authorization"] != authentication.ExpectedHeader)
            {
                Record($"{request.HttpMethod} {request.Url?.PathAndQuery} 401");
                response.StatusCode = 401;
                response.AddHeader("WWW-Authenticate", "Basic realm=\"berth-test\"");
                response.Close();
                return;
            }

            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body);
            var asksForObjects = request.HttpMethod == "POST" && Encoding.ASCII.GetString(body.ToArray()).Contains("command=fetch", StringComparison.Ordinal);
            if (asksForObjects && hangOnFetch)
            {
                Record($"{request.HttpMethod} {request.Url?.PathAndQuery} hanging fetch");
                await Task.Delay(Timeout.Infinite, stopping.Token);
            }

            var (status, headers, content) = await RunCgiAsync(request, body.ToArray());
            Record($"{request.HttpMethod} {request.Url?.PathAndQuery} {status}{(asksForObjects ? " fetch" : "")}");
            response.StatusCode = status;
            foreach (var (name, value) in headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    response.ContentType = value;
                }
                else if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    response.AddHeader(name, value);
                }
            }

            response.ContentLength64 = content.Length;
            await response.OutputStream.WriteAsync(content);
            response.Close();
        }
        catch (Exception exception) when (exception is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away (e.g. killed by its timeout); nothing to answer.
        }
    }

    private void Record(string line)
    {
        lock (requestLog)
        {
            requestLog.Add(line);
        }
    }

    private async Task<(int Status, List<(string Name, string Value)> Headers, byte[] Content)> RunCgiAsync(HttpListenerRequest request, byte[] body)
    {
        var startInfo = new ProcessStartInfo("git", ["http-backend"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var environment = startInfo.Environment;
        environment["GIT_PROJECT_ROOT"] = projectRoot;
        environment["GIT_HTTP_EXPORT_ALL"] = "1";
        environment["GIT_CONFIG_NOSYSTEM"] = "1";
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        environment["GATEWAY_INTERFACE"] = "CGI/1.1";
        environment["SERVER_PROTOCOL"] = "HTTP/1.1";
        environment["REQUEST_METHOD"] = request.HttpMethod;
        environment["PATH_INFO"] = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        environment["QUERY_STRING"] = request.Url.Query.TrimStart('?');
        environment["CONTENT_TYPE"] = request.ContentType ?? "";
        environment["CONTENT_LENGTH"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["REMOTE_USER"] = "deploy";
        environment["REMOTE_ADDR"] = "127.0.0.1";
        // Protocol v2 and gzip'd request bodies are announced in headers that CGI passes as HTTP_*.
        if (request.Headers["Git-Protocol"] is { } gitProtocol)
        {
            environment["HTTP_GIT_PROTOCOL"] = gitProtocol;
        }

        if (request.Headers["Content-Encoding"] is { } contentEncoding)
        {
            environment["HTTP_CONTENT_ENCODING"] = contentEncoding;
        }

        using var process = Process.Start(startInfo)!;
        var output = new MemoryStream();
        var copyOutput = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(body);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        await copyOutput;
        _ = await error;
        return ParseCgiOutput(output.ToArray());
    }

    private static (int Status, List<(string Name, string Value)> Headers, byte[] Content) ParseCgiOutput(byte[] output)
    {
        // CGI output: header lines, an empty line, then the body. git uses "\r\n".
        var headerEnd = IndexOf(output, "\r\n\r\n"u8.ToArray(), out var separatorLength);
        if (headerEnd < 0)
        {
            headerEnd = IndexOf(output, "\n\n"u8.ToArray(), out separatorLength);
        }

        if (headerEnd < 0)
        {
            return (500, [], output);
        }

        var status = 200;
        var headers = new List<(string, string)>();
        foreach (var line in Encoding.ASCII.GetString(output, 0, headerEnd).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                status = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                headers.Add((name, value));
            }
        }

        return (status, headers, output[(headerEnd + separatorLength)..]);
    }

    private static int IndexOf(byte[] haystack, byte[] needle, out int length)
    {
        length = needle.Length;
        for (var index = 0; index <= haystack.Length - needle.Length; index++)
        {
            if (haystack.AsSpan(index, needle.Length).SequenceEqual(needle))
            {
                return index;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        // Close only: Stop() followed by Close() makes the managed listener re-bind the port to remove
        // its prefix, which fails with "Address already in use".
        await stopping.CancelAsync();
        listener.Close();
        await serveLoop;
        stopping.Dispose();
    }
}
