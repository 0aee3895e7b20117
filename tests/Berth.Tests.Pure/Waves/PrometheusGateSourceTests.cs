using System.Net;
using System.Text;
using Berth.Reconciler.Waves;

namespace Berth.Tests.Waves;

/// <summary>
/// How the Prometheus gate source reads answers and failures. The real Prometheus path (three daemons
/// scraped by Debian's Prometheus) is StagedRolloutTests in Berth.Tests.Prometheus; these pin the
/// parsing and the fail-safe answers behind the HTTP client.
/// </summary>
public sealed class PrometheusGateSourceTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private sealed class Answers(Func<string, (HttpStatusCode Status, string Body)> answer) : HttpMessageHandler
    {
        public List<string> Queries { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var form = await request.Content!.ReadAsStringAsync(cancellationToken);
            var query = WebUtility.UrlDecode(form["query=".Length..]);
            Queries.Add(query);
            var (status, body) = answer(query);
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }

    private static string Vector(params (string Host, double Value)[] series) =>
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        + string.Join(",", series.Select(item => $"{{\"metric\":{{\"host\":\"{item.Host}\",\"revision\":\"{Commit}\"}},\"value\":[1733313600,\"{item.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}\"]}}"))
        + "]}}";

    private static async Task<(WaveEvidence Evidence, Answers Handler)> AskAsync(Func<string, (HttpStatusCode, string)> answer, params string[] hosts)
    {
        var handler = new Answers(answer);
        using var http = new HttpClient(handler);
        var source = new PrometheusGateSource(http, new Uri("http://prom.example:9090/"), "host");
        return (await source.ReportAsync(Commit, [.. hosts], CancellationToken.None), handler);
    }

    [Fact]
    public async Task Report_HealthyAndFailedSeries_PerHostOnlyForTheHostsAsked()
    {
        var (evidence, handler) = await AskAsync(query => query.StartsWith("berth_revision_healthy_since", StringComparison.Ordinal)
            ? (HttpStatusCode.OK, Vector(("canary", 1733313000), ("other", 1733313000), ("early", 1733313500)))
            : (HttpStatusCode.OK, Vector(("early", 1))), "canary", "early");

        Assert.Null(evidence.SourceError);
        Assert.Equal(new HostRevisionReport(HostRevisionState.Healthy, DateTimeOffset.FromUnixTimeSeconds(1733313000)), evidence.Hosts["canary"]);
        Assert.Equal(HostRevisionState.Failed, evidence.Hosts["early"].State);
        Assert.False(evidence.Hosts.ContainsKey("other"));
        Assert.Equal(
            [
                $"berth_revision_healthy_since_timestamp_seconds{{revision=\"{Commit}\"}} and on(job, instance) up == 1",
                $"berth_failed_revision_info{{revision=\"{Commit}\"}} == 1",
            ],
            handler.Queries);
    }

    [Fact]
    public async Task Report_QueryError_Unavailable()
    {
        var (evidence, _) = await AskAsync(_ => (HttpStatusCode.BadRequest, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}"), "canary");

        Assert.Equal("prometheus http://prom.example:9090/: query failed (HTTP 400): parse error", evidence.SourceError);
    }

    [Fact]
    public async Task Report_NotPrometheus_Unavailable()
    {
        var (evidence, _) = await AskAsync(_ => (HttpStatusCode.OK, "<html>login</html>"), "canary");

        Assert.Equal("prometheus http://prom.example:9090/: not a Prometheus query answer (HTTP 200)", evidence.SourceError);
    }

    [Fact]
    public async Task Report_Unreachable_Unavailable()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var source = new PrometheusGateSource(http, new Uri("http://127.0.0.1:1/"), "host");

        var evidence = await source.ReportAsync(Commit, ["canary"], CancellationToken.None);

        Assert.StartsWith("prometheus http://127.0.0.1:1/: ", evidence.SourceError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_RevisionThatIsNoCommitId_NeverQueried()
    {
        var handler = new Answers(_ => throw new InvalidOperationException("must not be asked"));
        using var http = new HttpClient(handler);
        var source = new PrometheusGateSource(http, new Uri("http://prom.example:9090/"), "host");

        var evidence = await source.ReportAsync("x\"} or vector(1) #", ["canary"], CancellationToken.None);

        Assert.NotNull(evidence.SourceError);
        Assert.Empty(handler.Queries);
    }
}
