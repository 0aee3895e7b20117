using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Reconciler.Forge;

/// <summary>
/// What the three providers share: one HttpClient, the token read from its file on every call (a
/// rotated token needs no restart), JSON in and out, and the sorting of failures into transient or not.
/// Messages name the method and path, never the token.
/// </summary>
public abstract class ForgeHttpProvider : ICommitStatusProvider
{
    private readonly HttpClient http;
    private readonly Func<string> readToken;

    /// <param name="apiBase">The API root, e.g. https://api.github.com/ or https://gitlab.example.com/api/v4/ (a trailing slash is added).</param>
    /// <param name="readToken">Returns the token; called for every request.</param>
    protected ForgeHttpProvider(HttpClient http, Uri apiBase, Func<string> readToken)
    {
        this.http = http;
        this.readToken = readToken;
        ApiBase = apiBase.AbsoluteUri.EndsWith('/') ? apiBase : new Uri(apiBase.AbsoluteUri + "/");
    }

    public abstract string Name { get; }

    public Uri ApiBase { get; }

    public abstract Task SetAsync(CommitStatus status, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<CommitStatus>> ListAsync(string sha, CancellationToken cancellationToken);

    /// <summary>Adds the provider's authentication and API headers to a request.</summary>
    protected abstract void Authenticate(HttpRequestMessage request, string token);

    protected async Task PostJsonAsync(string relativePath, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ApiBase, relativePath))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    protected async Task<JsonNode?> GetJsonAsync(string relativePath, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ApiBase, relativePath));
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException exception)
        {
            throw new ForgeApiException($"{Name}: GET {request.RequestUri!.AbsolutePath} answered with invalid JSON: {exception.Message}", (int)response.StatusCode, isTransient: false, exception);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Authenticate(request, readToken());
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("berth", null));
        var what = $"{Name}: {request.Method} {request.RequestUri!.AbsolutePath}";
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new ForgeApiException($"{what}: {exception.Message}", null, isTransient: true, exception);
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ForgeApiException($"{what}: no answer within {http.Timeout.TotalSeconds:0} s", null, isTransient: true, exception);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            // The body says why (GitHub: "description is too long"); a short prefix is enough and keeps
            // an HTML error page out of the log.
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            throw new ForgeApiException($"{what} answered {code} {response.ReasonPhrase}: {OneLine(body, 200)}", code, ForgeApiException.IsTransientStatus(code));
        }
    }

    /// <summary>Shortens to <paramref name="limit"/> characters (an ellipsis marks the cut) on one line.</summary>
    public static string OneLine(string text, int limit)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return line.Length <= limit ? line : string.Concat(line.AsSpan(0, limit - 1), "…");
    }

    /// <summary>The latest status per context, sorted by context: the statuses sorted newest first (highest id) and the first of each context kept.</summary>
    protected static IReadOnlyList<CommitStatus> LatestPerContext(IEnumerable<(long Id, CommitStatus Status)> statuses) =>
        [.. statuses
            .OrderByDescending(entry => entry.Id)
            .GroupBy(entry => entry.Status.Context, StringComparer.Ordinal)
            .Select(group => group.First().Status)
            .OrderBy(status => status.Context, StringComparer.Ordinal)];

    protected static string Text(JsonNode? node, string name) => node?[name]?.GetValue<string>() ?? "";

    protected static long Id(JsonNode? node) => node?["id"]?.GetValue<long>() ?? 0;
}
