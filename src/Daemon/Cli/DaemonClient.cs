using System.Net.Http.Json;
using Berth.Daemon.Configuration;
using Berth.Reconciler.Loop;

namespace Berth.Daemon.Cli;

/// <summary>How `berth status` and `berth sync` talk to the running daemon.</summary>
/// <param name="token">The daemon's API token, sent as a bearer header; null to ask anonymously (status without evidence).</param>
internal sealed class DaemonClient(Uri baseUrl, string? token = null) : IDisposable
{
    public static readonly string DefaultUrl = $"http://127.0.0.1:{DaemonConfig.DefaultPort}";

    // Timeouts come from the caller's token: `berth sync` waits as long as a pass takes.
    private readonly HttpClient http = CreateHttpClient(baseUrl, token);

    public Uri BaseUrl => baseUrl;

    public async Task<(StatusSnapshot Snapshot, string Json)> GetStatusAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri("status", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {body.Trim()}");
        }

        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = System.Text.Json.JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusSnapshot)
            ?? throw new InvalidDataException("empty status document");
        return (snapshot, json);
    }

    /// <summary>The longest a rate-limited sync waits before asking again, whatever Retry-After says.</summary>
    private static readonly TimeSpan LongestRateLimitWait = TimeSpan.FromSeconds(15);

    /// <param name="retryFailed">Ask the pass to re-apply what a failed revision holds back (`?retry-failed=true`).</param>
    /// <remarks>
    /// The daemon rate-limits /sync (429 with Retry-After). A deploy script that syncs a few times in a row
    /// is not a flood: it waits its turn and asks again, until the caller's token (--timeout) runs out.
    /// </remarks>
    public async Task<PassRecord> SyncAsync(bool retryFailed, CancellationToken cancellationToken)
    {
        var path = retryFailed ? "sync?retry-failed=true" : "sync";
        var response = await http.PostAsync(new Uri(path, UriKind.Relative), content: null, cancellationToken).ConfigureAwait(false);
        while (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait < LongestRateLimitWait ? wait : LongestRateLimitWait, cancellationToken).ConfigureAwait(false);
            response = await http.PostAsync(new Uri(path, UriKind.Relative), content: null, cancellationToken).ConfigureAwait(false);
        }

        using var answered = response;
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {body.Trim()}");
        }

        return await response.Content.ReadFromJsonAsync(StatusJsonContext.Default.PassRecord, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException("empty sync answer");
    }

    /// <summary>--url as given, with a trailing slash so that relative paths append.</summary>
    public static bool TryParseUrl(string text, out Uri url)
    {
        var withSlash = text.EndsWith('/') ? text : text + "/";
        return Uri.TryCreate(withSlash, UriKind.Absolute, out url!) && url.Scheme is "http" or "https";
    }

    public void Dispose() => http.Dispose();

    private static HttpClient CreateHttpClient(Uri baseUrl, string? token)
    {
        var client = new HttpClient { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Http.ApiToken.AuthorizationValue(token));
        }

        return client;
    }
}
