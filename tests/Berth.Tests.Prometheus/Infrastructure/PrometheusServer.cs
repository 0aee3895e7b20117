using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// Debian's real Prometheus as a child process on a free loopback port, with its own config and
/// storage in a temporary directory, scraping one target every second. Killed (process tree) and
/// its directory removed on dispose, also when the test failed. Its log is kept for failure messages.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string JobName = "berth";

    private readonly Process process;
    private readonly string directory;
    private readonly StringBuilder log = new();
    private readonly HttpClient http;

    private PrometheusServer(Process process, string directory, int port)
    {
        this.process = process;
        this.directory = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    /// <param name="target">"127.0.0.1:port" of the /metrics endpoint.</param>
    /// <param name="hostLabel">The `host` target label, as the example scrape config sets it.</param>
    /// <param name="ruleFile">Alerting rules to load and evaluate every second.</param>
    public static Task<PrometheusServer> StartAsync(string target, string hostLabel, string ruleFile) =>
        StartAsync([(target, hostLabel)], ruleFile);

    /// <summary>One Prometheus scraping several berth daemons, each with its own `host` target label (a fleet on one machine).</summary>
    /// <param name="port">The port to listen on (for daemons configured with its URL before it starts); default: a free one.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<(string Target, string Host)> targets, string ruleFile, int? port = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "berth-prometheus-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var configFile = Path.Combine(directory, "prometheus.yml");
        // JSON is YAML: no quoting questions for the paths and labels.
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["global"] = new Dictionary<string, string> { ["scrape_interval"] = "1s", ["evaluation_interval"] = "1s" },
            ["rule_files"] = new[] { ruleFile },
            ["scrape_configs"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["job_name"] = JobName,
                    ["scrape_interval"] = "1s",
                    ["scrape_timeout"] = "1s",
                    ["static_configs"] = targets.Select(target => new Dictionary<string, object>
                    {
                        ["targets"] = new[] { target.Target },
                        ["labels"] = new Dictionary<string, string> { ["host"] = target.Host },
                    }).ToArray(),
                },
            },
        }));

        var listenPort = port ?? FreePort.Next();
        var startInfo = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("--config.file=" + configFile);
        startInfo.ArgumentList.Add("--storage.tsdb.path=" + Path.Combine(directory, "data"));
        startInfo.ArgumentList.Add("--web.listen-address=127.0.0.1:" + listenPort.ToString(CultureInfo.InvariantCulture));
        var process = new Process { StartInfo = startInfo };
        var server = new PrometheusServer(process, directory, listenPort);
        process.OutputDataReceived += (_, line) => server.Append(line.Data);
        process.ErrorDataReceived += (_, line) => server.Append(line.Data);
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await Poll.UntilAsync(server.IsReadyAsync, TimeSpan.FromSeconds(30), () => $"prometheus ready on {server.BaseAddress}\n{server.Log}");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>An instant query (what a stat or table panel and the rule evaluator run).</summary>
    public Task<QueryResponse> QueryAsync(string expression, DateTimeOffset? at = null)
    {
        var form = new Dictionary<string, string> { ["query"] = expression };
        if (at is { } time)
        {
            form["time"] = Seconds(time);
        }

        return PostAsync("api/v1/query", form);
    }

    /// <summary>A range query (what a time-series panel runs for its time range).</summary>
    public Task<QueryResponse> QueryRangeAsync(string expression, DateTimeOffset start, DateTimeOffset end, TimeSpan step) =>
        PostAsync("api/v1/query_range", new Dictionary<string, string>
        {
            ["query"] = expression,
            ["start"] = Seconds(start),
            ["end"] = Seconds(end),
            ["step"] = step.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>The loaded alerting rules as /api/v1/rules reports them: name, health and last error.</summary>
    public async Task<IReadOnlyList<(string Name, string Health, string? LastError)>> RulesAsync()
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("api/v1/rules"));
        return [.. document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(group => group.GetProperty("rules").EnumerateArray())
            .Select(rule => (
                rule.GetProperty("name").GetString()!,
                rule.GetProperty("health").GetString()!,
                rule.TryGetProperty("lastError", out var error) ? error.GetString() : null))];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            process.Dispose();
            http.Dispose();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private async Task<bool> IsReadyAsync()
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"prometheus exited with code {process.ExitCode}:\n{Log}");
        }

        try
        {
            using var response = await http.GetAsync("-/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private async Task<QueryResponse> PostAsync(string path, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await http.PostAsync(path, content);
        // Errors (bad PromQL: 400, cannot execute: 422) answer with a JSON body too; that is the verdict to report.
        return QueryResponse.Parse(await response.Content.ReadAsStringAsync());
    }

    private static string Seconds(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }
}

/// <summary>Prometheus' answer to a query: success or the error, and the series with their values.</summary>
public sealed record QueryResponse(bool Succeeded, string? Error, string ResultType, IReadOnlyList<QuerySeries> Series)
{
    /// <summary>True when some series has a sample that is a number (not NaN): a panel would draw something.</summary>
    public bool HasData => Series.Any(series => series.Values.Any(value => !double.IsNaN(value)));

    public static QueryResponse Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            var error = $"{root.GetProperty("errorType").GetString()}: {root.GetProperty("error").GetString()}";
            return new QueryResponse(false, error, "", []);
        }

        var data = root.GetProperty("data");
        var resultType = data.GetProperty("resultType").GetString()!;
        var result = data.GetProperty("result");
        var series = resultType switch
        {
            "vector" => result.EnumerateArray().Select(item => new QuerySeries(Labels(item), [Value(item.GetProperty("value"))])).ToList(),
            "matrix" => result.EnumerateArray().Select(item => new QuerySeries(Labels(item), [.. item.GetProperty("values").EnumerateArray().Select(Value)])).ToList(),
            "scalar" => [new QuerySeries(new Dictionary<string, string>(), [Value(result)])],
            _ => [],
        };
        return new QueryResponse(true, null, resultType, series);
    }

    private static Dictionary<string, string> Labels(JsonElement item) =>
        item.GetProperty("metric").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString()!, StringComparer.Ordinal);

    // A sample is [unix time, "value"]; the value is a string so that NaN and Inf survive JSON.
    private static double Value(JsonElement sample) => sample[1].GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}

public sealed record QuerySeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<double> Values);
