using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Reconciler.Forge;

namespace Berth.Tests.Fleet;

/// <summary>
/// A git forge's commit-status API on loopback, for tests (no forge server can run on these machines).
/// It checks every request against the provider's documented API and answers as the provider does:
/// <list type="bullet">
/// <item>GitHub (REST "Commit statuses"): POST /repos/{owner}/{repo}/statuses/{sha}, GET /repos/{owner}/{repo}/commits/{ref}/statuses;
/// headers Authorization: Bearer, Accept: application/vnd.github+json, X-GitHub-Api-Version; body {state (error|failure|pending|success), target_url?, description? (at most 140), context?}; 422 on a bad body.</item>
/// <item>GitLab (v4 "Commits"): POST /api/v4/projects/{url-encoded path}/statuses/{sha}, GET /api/v4/projects/{id}/repository/commits/{sha}/statuses;
/// header PRIVATE-TOKEN; body {state (pending|running|success|failed|canceled), name?, description? (at most 255), target_url?}; 400 on a bad body and on a transition to the state the status already has.</item>
/// <item>Gitea/Forgejo (v1): POST /api/v1/repos/{owner}/{repo}/statuses/{sha}, GET /api/v1/repos/{owner}/{repo}/commits/{ref}/statuses;
/// header Authorization: token …; body {state (pending|success|error|failure|warning), target_url?, description?, context?}; 422 on a bad body.</item>
/// </list>
/// Unknown body fields are refused too (stricter than the forges, which ignore them: a misspelt field
/// would be silently lost there). Every refusal is also kept in <see cref="Violations"/>, so a test can
/// assert that berth never sent a request the forge would refuse. Faults: <see cref="FailNext"/>.
/// Reusable by any test that runs daemons against it: <see cref="Latest"/> gives what each context
/// says about a commit, <see cref="History"/> everything in order, and <see cref="CreateProvider"/> a
/// provider whose ListAsync reads the statuses back through the API.
/// </summary>
public sealed partial class LoopbackForge : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task serveLoop;
    private readonly Lock gate = new();
    private readonly List<ForgeStatusRecord> history = [];
    private readonly List<string> requests = [];
    private readonly List<string> violations = [];
    private readonly Queue<int> faults = new();
    private long nextId = 1000;

    private LoopbackForge(ForgeKind kind, string repository, string token, int port)
    {
        Kind = kind;
        Repository = repository;
        Token = token;
        Port = port;
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        serveLoop = ServeAsync();
    }

    public ForgeKind Kind { get; }

    /// <summary>owner/repo (GitLab: group/project).</summary>
    public string Repository { get; }

    /// <summary>The token the server accepts; anything else gets 401.</summary>
    public string Token { get; }

    public int Port { get; }

    /// <summary>The API root as berth's config takes it (forge.apiUrl).</summary>
    public Uri ApiBase => Kind switch
    {
        ForgeKind.GitHub => new Uri($"http://127.0.0.1:{Port}/"),
        ForgeKind.GitLab => new Uri($"http://127.0.0.1:{Port}/api/v4/"),
        _ => new Uri($"http://127.0.0.1:{Port}/api/v1/"),
    };

    /// <summary>The provider name berth's config takes (forge.provider).</summary>
    public string ProviderName => Kind switch
    {
        ForgeKind.GitHub => "github",
        ForgeKind.GitLab => "gitlab",
        _ => "gitea",
    };

    /// <summary>Starts a forge on a free loopback port (retrying when another test takes the port first).</summary>
    /// <param name="token">The token it accepts; by default one of its own, so that a request meant for another test's forge (its port reused) is refused here.</param>
    public static LoopbackForge Start(ForgeKind kind, string repository = "acme/deploy", string? token = null)
    {
        token ??= $"forge-test-token-{Guid.NewGuid():N}";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new LoopbackForge(kind, repository, token, FreePort());
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                // Raced with another listener for the port: take another.
            }
        }
    }

    /// <summary>A provider talking to this forge (what berth builds from forge: in berth.yaml).</summary>
    public ICommitStatusProvider CreateProvider(HttpClient http, string? token = null) =>
        new ForgeRepository(Kind, ApiBase, Repository).CreateProvider(http, () => token ?? Token);

    /// <summary>
    /// Answers the next <paramref name="count"/> requests that carry this forge's token with
    /// <paramref name="statusCode"/> (500, 429, ...), without looking further at them. A request without the
    /// token (a client of another test that reached this port) is refused with 401 as always and leaves
    /// the faults queued: it would otherwise take the fault meant for the test's own request.
    /// </summary>
    public void FailNext(int count, int statusCode)
    {
        lock (gate)
        {
            for (var i = 0; i < count; i++)
            {
                faults.Enqueue(statusCode);
            }
        }
    }

    /// <summary>Every status accepted, in order.</summary>
    public IReadOnlyList<ForgeStatusRecord> History
    {
        get
        {
            lock (gate)
            {
                return [.. history];
            }
        }
    }

    /// <summary>"METHOD /path STATUS" per request, in order.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    /// <summary>Requests the real forge would refuse, with why. A test asserts this stays empty.</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (gate)
            {
                return [.. violations];
            }
        }
    }

    /// <summary>The latest status of each context on <paramref name="sha"/>, by context.</summary>
    public IReadOnlyDictionary<string, ForgeStatusRecord> Latest(string sha)
    {
        lock (gate)
        {
            return history.Where(status => status.Sha == sha)
                .GroupBy(status => status.Context, StringComparer.Ordinal)
                .ToDictionary(group => group.Key, group => group.Last(), StringComparer.Ordinal);
        }
    }

    /// <summary>The states a context went through on a commit, in order (the provider's words, e.g. "pending", "success").</summary>
    public IReadOnlyList<string> StatesOf(string sha, string context)
    {
        lock (gate)
        {
            return [.. history.Where(status => status.Sha == sha && status.Context == context).Select(status => status.State)];
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with what the forge holds after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<LoopbackForge, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the forge never saw {what} within {timeout.TotalSeconds:0} s; it holds: "
                    + string.Join("; ", History.Select(status => $"{status.Sha[..12]} {status.Context}={status.State} ({status.Description})"))
                    + "; requests: " + string.Join(", ", Requests));
            }

            await Task.Delay(50);
        }
    }

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
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        // The raw path: GitLab's project id is URL-encoded (group%2Fproject) and must stay so.
        var rawPath = request.RawUrl ?? "/";
        var path = rawPath.Split('?')[0];
        string body;
        using (var reader = new StreamReader(request.InputStream, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }

        int status;
        string answer;
        int? fault = null;
        var addressedHere = AuthenticationProblem(request) is null;
        lock (gate)
        {
            if (addressedHere && faults.Count > 0)
            {
                fault = faults.Dequeue();
            }
        }

        if (fault is { } code)
        {
            (status, answer) = (code, "{\"message\":\"injected fault\"}");
        }
        else
        {
            (status, answer) = Handle(request, path, body);
        }

        lock (gate)
        {
            requests.Add($"{request.HttpMethod} {path} {status}");
        }

        try
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(answer);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client went away.
        }
    }

    private (int Status, string Body) Handle(HttpListenerRequest request, string path, string body)
    {
        if (AuthenticationProblem(request) is { } authProblem)
        {
            return Refuse(401, authProblem);
        }

        var (owner, sha, isPost) = Route(request.HttpMethod, path);
        if (owner is null)
        {
            return Refuse(404, $"{request.HttpMethod} {path} is not an endpoint of the {ProviderName} commit status API");
        }

        if (owner != Repository)
        {
            return Refuse(404, $"repository '{owner}' is not '{Repository}'");
        }

        if (!isPost)
        {
            return (200, ListJson(sha!));
        }

        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.Ordinal))
        {
            return Refuse(Kind == ForgeKind.GitLab ? 400 : 415, $"Content-Type '{request.ContentType}' is not application/json");
        }

        if (!ShaPattern().IsMatch(sha!))
        {
            return Refuse(Kind == ForgeKind.GitLab ? 404 : 422, $"'{sha}' is not a full commit id");
        }

        JsonObject? json;
        try
        {
            json = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException exception)
        {
            return Refuse(400, $"body is not JSON: {exception.Message}");
        }

        if (json is null)
        {
            return Refuse(400, "body is not a JSON object");
        }

        if (BodyProblem(json) is { } bodyProblem)
        {
            return Refuse(Kind == ForgeKind.GitLab ? 400 : 422, bodyProblem);
        }

        var state = json["state"]!.GetValue<string>();
        var contextName = (Kind == ForgeKind.GitLab ? json["name"] : json["context"])?.GetValue<string>() ?? "default";
        var description = json["description"]?.GetValue<string>() ?? "";
        var targetUrl = json["target_url"]?.GetValue<string>();
        lock (gate)
        {
            // GitLab keeps one status per name while it runs and refuses to "move" it to the state it is in.
            if (Kind == ForgeKind.GitLab
                && history.LastOrDefault(existing => existing.Sha == sha && existing.Context == contextName) is { State: "pending" or "running" } running
                && running.State == state)
            {
                return Refuse(400, $"Cannot transition status via :{(state == "running" ? "run" : "enqueue")} from :{state}");
            }

            var record = new ForgeStatusRecord(nextId++, sha!, contextName, state, description, targetUrl);
            history.Add(record);
            return (201, StatusJson(record).ToJsonString());
        }
    }

    private string? AuthenticationProblem(HttpListenerRequest request)
    {
        switch (Kind)
        {
            case ForgeKind.GitHub:
                if (request.Headers["Authorization"] != $"Bearer {Token}")
                {
                    return "Authorization is not 'Bearer <token>' with the right token";
                }

                if (request.Headers["Accept"] != "application/vnd.github+json")
                {
                    return $"Accept is '{request.Headers["Accept"]}', not application/vnd.github+json";
                }

                if (request.Headers["X-GitHub-Api-Version"] is not { Length: > 0 } version || !ApiVersionPattern().IsMatch(version))
                {
                    return "X-GitHub-Api-Version is missing or not a date (e.g. 2022-11-28)";
                }

                if (string.IsNullOrEmpty(request.Headers["User-Agent"]))
                {
                    // GitHub refuses requests without a User-Agent (403).
                    return "User-Agent is missing";
                }

                return null;
            case ForgeKind.GitLab:
                return request.Headers["PRIVATE-TOKEN"] == Token ? null : "PRIVATE-TOKEN is missing or wrong";
            default:
                return request.Headers["Authorization"] == $"token {Token}" ? null : "Authorization is not 'token <token>' with the right token";
        }
    }

    /// <summary>(repository, sha or ref, is a POST) for a status endpoint; repository null: not one.</summary>
    private (string? Repository, string? Sha, bool IsPost) Route(string method, string path)
    {
        Match match;
        switch (Kind)
        {
            case ForgeKind.GitHub:
            case ForgeKind.Gitea:
                var prefix = Kind == ForgeKind.GitHub ? "" : "/api/v1";
                if (method == "POST" && (match = Regex.Match(path, $"^{prefix}/repos/([^/]+)/([^/]+)/statuses/([^/]+)$")).Success)
                {
                    return ($"{match.Groups[1].Value}/{match.Groups[2].Value}", match.Groups[3].Value, true);
                }

                if (method == "GET" && (match = Regex.Match(path, $"^{prefix}/repos/([^/]+)/([^/]+)/commits/([^/]+)/statuses$")).Success)
                {
                    return ($"{match.Groups[1].Value}/{match.Groups[2].Value}", match.Groups[3].Value, false);
                }

                return (null, null, false);
            default:
                // The project: its number, or its full path URL-encoded (a '/' in it would be another route).
                if (method == "POST" && (match = Regex.Match(path, "^/api/v4/projects/([^/]+)/statuses/([^/]+)$")).Success)
                {
                    return (Uri.UnescapeDataString(match.Groups[1].Value), match.Groups[2].Value, true);
                }

                if (method == "GET" && (match = Regex.Match(path, "^/api/v4/projects/([^/]+)/repository/commits/([^/]+)/statuses$")).Success)
                {
                    return (Uri.UnescapeDataString(match.Groups[1].Value), match.Groups[2].Value, false);
                }

                return (null, null, false);
        }
    }

    /// <summary>The body's schema: required state, allowed values, lengths, no unknown fields.</summary>
    private string? BodyProblem(JsonObject json)
    {
        var (states, nameField, descriptionLimit) = Kind switch
        {
            ForgeKind.GitHub => (new[] { "error", "failure", "pending", "success" }, "context", GitHubStatusProvider.DescriptionLimit),
            ForgeKind.GitLab => (new[] { "pending", "running", "success", "failed", "canceled" }, "name", 255),
            _ => (new[] { "pending", "success", "error", "failure", "warning" }, "context", int.MaxValue),
        };
        string[] known = Kind == ForgeKind.GitLab
            ? ["state", "name", "description", "target_url", "ref", "context", "coverage", "pipeline_id"]
            : ["state", "context", "description", "target_url"];
        foreach (var (key, _) in json)
        {
            if (!known.Contains(key))
            {
                return $"unknown field '{key}'";
            }
        }

        if (json["state"] is not JsonValue stateValue || !stateValue.TryGetValue<string>(out var state))
        {
            return "state: required, a string";
        }

        if (!states.Contains(state))
        {
            return $"state: '{state}' is not one of {string.Join(", ", states)}";
        }

        foreach (var field in new[] { nameField, "description", "target_url" })
        {
            if (json[field] is { } node && (node is not JsonValue value || !value.TryGetValue<string>(out _)))
            {
                return $"{field}: must be a string";
            }
        }

        if (json[nameField]?.GetValue<string>() is { } name && (name.Length == 0 || name.Length > 255))
        {
            return $"{nameField}: must be 1 to 255 characters";
        }

        if (json["description"]?.GetValue<string>() is { } description && description.Length > descriptionLimit)
        {
            return Kind == ForgeKind.GitHub
                ? $"description is too long (maximum is {descriptionLimit} characters)"
                : $"description: at most {descriptionLimit} characters";
        }

        if (json["target_url"]?.GetValue<string>() is { } targetUrl
            && (!Uri.TryCreate(targetUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            return $"target_url: '{targetUrl}' is not an http(s) URL";
        }

        return null;
    }

    private string ListJson(string sha)
    {
        lock (gate)
        {
            IEnumerable<ForgeStatusRecord> statuses = history.Where(status => status.Sha == sha);
            // GitHub and Gitea: every status, newest first. GitLab (all=false): the latest per name.
            statuses = Kind == ForgeKind.GitLab
                ? statuses.GroupBy(status => status.Context).Select(group => group.Last()).OrderByDescending(status => status.Id)
                : statuses.OrderByDescending(status => status.Id);
            return new JsonArray([.. statuses.Select(StatusJson)]).ToJsonString();
        }
    }

    /// <summary>A status as the provider returns it: GitHub "state"/"context", GitLab "status"/"name", Gitea "status"/"context".</summary>
    private JsonObject StatusJson(ForgeStatusRecord record) => Kind switch
    {
        ForgeKind.GitHub => new JsonObject
        {
            ["id"] = record.Id,
            ["state"] = record.State,
            ["context"] = record.Context,
            ["description"] = record.Description,
            ["target_url"] = record.TargetUrl,
        },
        ForgeKind.GitLab => new JsonObject
        {
            ["id"] = record.Id,
            ["sha"] = record.Sha,
            ["status"] = record.State,
            ["name"] = record.Context,
            ["description"] = record.Description,
            ["target_url"] = record.TargetUrl,
        },
        _ => new JsonObject
        {
            ["id"] = record.Id,
            ["status"] = record.State,
            ["context"] = record.Context,
            ["description"] = record.Description,
            ["target_url"] = record.TargetUrl,
        },
    };

    private (int, string) Refuse(int status, string why)
    {
        lock (gate)
        {
            violations.Add($"{status}: {why}");
        }

        return (status, new JsonObject { ["message"] = why }.ToJsonString());
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex ShaPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex ApiVersionPattern();

    public async ValueTask DisposeAsync()
    {
        // Close alone (it stops, too). Stop then Close removes the prefixes twice, and the second removal
        // looks the port's endpoint up again, which binds the port anew: "Address already in use" in
        // teardown whenever a parallel test has taken the port in between (.NET's managed HttpListener).
        listener.Close();
        await serveLoop;
    }
}

/// <summary>One status the loopback forge accepted, in the provider's own words.</summary>
/// <param name="State">As posted: "pending", "running", "success", "failure", "failed", ...</param>
public sealed record ForgeStatusRecord(long Id, string Sha, string Context, string State, string Description, string? TargetUrl);
