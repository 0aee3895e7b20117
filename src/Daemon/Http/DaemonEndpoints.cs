using System.Net;
using Berth.Daemon.Configuration;
using Berth.Daemon.Loop;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Berth.Daemon.Http;

/// <summary>The HTTP surface: probes, status, metrics, `berth sync`, webhooks. Each handler is a few lines over a pure decision.</summary>
internal static class DaemonEndpoints
{
    /// <summary>Push payloads are small; GitHub caps them at 25 MB, but a push with that much is not for us.</summary>
    public const long MaxWebhookBodyBytes = 5 * 1024 * 1024;

    /// <summary>Every other endpoint takes no body (`/sync` reads its option from the query): anything bigger is refused.</summary>
    public const long MaxOtherBodyBytes = 16 * 1024;

    /// <summary>
    /// Kestrel's own limit, above <see cref="MaxWebhookBodyBytes"/> by more than one read, so that the
    /// handlers' checks answer first (413 with a reason) and Kestrel's only backs them up.
    /// </summary>
    public const long ServerBodyLimitBytes = MaxWebhookBodyBytes + (64 * 1024);

    /// <summary>
    /// Open on any listener: the probes and /metrics (monitoring scrapes them without credentials) and the
    /// webhooks (a forge cannot send a bearer token; each request is verified by its own signature).
    /// </summary>
    private static readonly string[] OpenPaths = ["/healthz", "/metrics"];

    /// <summary>Where webhooks arrive; they are exempt from the browser checks (see <see cref="RequestGuard"/>).</summary>
    public const string WebhookPathPrefix = "/webhooks/";

    /// <summary>
    /// Probes and metrics are scraped by monitoring under whatever name it knows the host by
    /// (packaging/prometheus/scrape-config.yml: web-1.example.internal:9750), so they skip the Host check;
    /// they are also what issue 21 keeps open without a token on a non-loopback listener.
    /// </summary>
    private static readonly string[] AnyHostPaths = ["/healthz", "/readyz", "/metrics"];

    /// <summary>Refuses foreign Host names and cross-site browser requests before any endpoint but the webhooks runs.</summary>
    public static void UseRequestGuard(IApplicationBuilder app, RequestGuard guard, IPEndPoint listen)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            var isWebhook = path.StartsWithSegments(WebhookPathPrefix.TrimEnd('/'), StringComparison.Ordinal);
            if (!isWebhook && BodyRefusal(context) is { } tooLarge)
            {
                await RefuseAsync(context, 413, tooLarge).ConfigureAwait(false);
                return;
            }

            if (!isWebhook)
            {
                var headers = context.Request.Headers;
                var checkHost = !AnyHostPaths.Any(anyHostPath => path.Equals(anyHostPath, StringComparison.Ordinal));
                if (guard.Refusal(checkHost ? headers.Host.ToString() : null, name => headers.TryGetValue(name, out var value) ? value.ToString() : null) is { } refusal)
                {
                    await RefuseAsync(context, refusal.StatusCode, refusal.Reason).ConfigureAwait(false);
                    return;
                }
            }

            // Off loopback, the network may reach the listener: every endpoint that is not open to all
            // needs the token (on loopback, /status without it shows everything but rollout evidence).
            if (!isWebhook && !IPAddress.IsLoopback(listen.Address) && !OpenPaths.Any(open => path.Equals(open, StringComparison.Ordinal))
                && context.RequestServices.GetRequiredService<ApiToken>().Check(context.Request.Headers.Authorization.ToString()) != ApiToken.Presented.Valid)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await RefuseAsync(context, 401, "this listener is not on loopback: every endpoint but /healthz, /metrics and the webhooks needs the daemon's API token (Authorization: Bearer; see docs/security.md)\n").ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    private static async Task RefuseAsync(HttpContext context, int statusCode, string reason)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(reason, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// A declared body over <see cref="MaxOtherBodyBytes"/> is refused before anything runs; an undeclared
    /// (chunked) one is capped there by Kestrel should anything read it.
    /// </summary>
    private static string? BodyRefusal(HttpContext context)
    {
        if (context.Request.ContentLength > MaxOtherBodyBytes)
        {
            return $"request body too large: berth's API takes at most {MaxOtherBodyBytes / 1024} KiB (webhooks {MaxWebhookBodyBytes / (1024 * 1024)} MiB)\n";
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxOtherBodyBytes;
        }

        return null;
    }

    public static void Map(IEndpointRouteBuilder app, DaemonConfig config)
    {
        app.MapGet("/healthz", (LoopLiveness liveness, TimeProvider time) =>
        {
            var verdict = liveness.Check(time.GetUtcNow());
            return Results.Text(verdict.Reason + "\n", statusCode: verdict.Alive ? 200 : 503);
        });

        app.MapGet("/readyz", (IStatusSource status, TimeProvider time) =>
        {
            var (ready, reason) = Readiness.Evaluate(status.Current, time.GetUtcNow(), config.Reconcile.Interval);
            return Results.Text(reason + "\n", statusCode: ready ? 200 : 503);
        });

        // Anyone local may read the status; rollout evidence (container log lines) only with the token.
        app.MapGet("/status", (HttpRequest request, HttpResponse response, IStatusSource status, ApiToken token) =>
        {
            var presented = token.Check(request.Headers.Authorization.ToString());
            if (presented == ApiToken.Presented.Invalid)
            {
                return Unauthorized(response);
            }

            var snapshot = presented == ApiToken.Presented.Valid ? status.Current : StatusRedaction.WithoutEvidence(status.Current);
            return Results.Json(snapshot, StatusJsonContext.Default.StatusSnapshot);
        });

        app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });

        // POST /sync?retry-failed=true: `berth sync --retry-failed`, the daemon's `berth apply --retry-failed`.
        // The token first (a local user must not run passes, nor lift the failed-revision hold with
        // retry-failed), then the rate (a holder of the token must not run passes back to back either).
        app.MapPost("/sync", async (HttpRequest request, HttpResponse response, IPassTrigger trigger, ApiToken token, SyncRateLimiter limiter, CancellationToken requestAborted) =>
        {
            if (token.Check(request.Headers.Authorization.ToString()) != ApiToken.Presented.Valid)
            {
                return Unauthorized(response);
            }

            if (!TryParseRetryFailed(request.Query["retry-failed"], out var retryFailed))
            {
                return Results.Text("retry-failed must be true or false\n", statusCode: 400);
            }

            if (!limiter.TryAcquire(out var retryAfter))
            {
                var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
                response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Text($"too many syncs; try again in {seconds} s\n", statusCode: 429);
            }

            try
            {
                var pass = await trigger.RequestAndWaitAsync(PassTrigger.Cli, new PassOptions(retryFailed), requestAborted).ConfigureAwait(false);
                return Results.Json(pass, StatusJsonContext.Default.PassRecord);
            }
            catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
            {
                return Results.Text("the daemon is stopping\n", statusCode: 503);
            }
        });

        MapWebhook(app, WebhookProvider.GitHub, config.Webhooks.GitHub, config.Source.Branch);
        MapWebhook(app, WebhookProvider.GitLab, config.Webhooks.GitLab, config.Source.Branch);
        MapWebhook(app, WebhookProvider.Gitea, config.Webhooks.Gitea, config.Source.Branch);
    }

    private static IResult Unauthorized(HttpResponse response)
    {
        response.Headers.WWWAuthenticate = "Bearer";
        return Results.Text(
            "this needs the daemon's API token (Authorization: Bearer); `berth sync` and `berth status` send it when run as root (see docs/daemon.md)\n",
            statusCode: 401);
    }

    /// <summary>Absent means false; "true"/"false" in any case; anything else is an error, not a silent false.</summary>
    internal static bool TryParseRetryFailed(Microsoft.Extensions.Primitives.StringValues values, out bool retryFailed)
    {
        retryFailed = false;
        return values.Count == 0 || (values.Count == 1 && bool.TryParse(values[0], out retryFailed));
    }

    /// <summary>A provider without a configured secret has no endpoint (404): there is nothing to verify against.</summary>
    private static void MapWebhook(IEndpointRouteBuilder app, WebhookProvider provider, WebhookSecret? secret, string branch)
    {
        if (secret is null)
        {
            return;
        }

        app.MapPost(WebhookPathPrefix + provider.Name, async (HttpContext context, IPassTrigger trigger, BerthMetrics metrics, RejectionLogLimiter rejectionLog, WebhookRateLimiter rateLimiter, ILoggerFactory loggers) =>
        {
            var logger = loggers.CreateLogger("Berth.Daemon.Webhooks");

            // Before the body is read: a flood from one address must not cost 5 MiB and an HMAC per request.
            if (!rateLimiter.TryAcquire(context.Connection.RemoteIpAddress?.ToString(), out var retryAfter))
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Text($"too many webhooks from this address; try again in {seconds} s\n", statusCode: 429);
            }

            var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                return Results.Text($"payload too large: webhook bodies are limited to {MaxWebhookBodyBytes / (1024 * 1024)} MiB\n", statusCode: 413);
            }

            var headers = context.Request.Headers;
            var decision = WebhookDecision.Decide(provider, name => headers.TryGetValue(name, out var value) ? value.ToString() : null, body, secret, branch);
            metrics.RecordWebhook(provider.Name, decision.Result);
            if (decision.StatusCode >= 400)
            {
                // One line per source per interval: a flood of forged requests must not fill the journal.
                if (rejectionLog.ShouldLog(context.Connection.RemoteIpAddress?.ToString(), out var source, out var suppressed))
                {
                    if (suppressed == 0)
                    {
                        HttpLog.WebhookRejected(logger, provider.Name, source, decision.Detail);
                    }
                    else
                    {
                        HttpLog.WebhookRejectedAfterSuppressed(logger, provider.Name, source, decision.Detail, suppressed);
                    }
                }
            }
            else
            {
                HttpLog.WebhookHandled(logger, provider.Name, decision.Result, decision.Detail);
            }

            if (decision.TriggersPass)
            {
                trigger.Request(PassTrigger.Webhook);
            }

            return Results.Json(
                new WebhookAnswer(decision.Result, decision.Detail),
                DaemonJsonContext.Default.WebhookAnswer,
                statusCode: decision.StatusCode);
        });
    }

    /// <summary>The raw body (signatures are over the exact bytes), or null when it exceeds the limit.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxWebhookBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxWebhookBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
