using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Tests.Images;

/// <summary>
/// A real HTTP server (Kestrel, plain HTTP) on 127.0.0.1 for one test, answering with <paramref name="handler"/>.
/// It binds port 0, so the kernel picks a free port at bind time: no window in which another process takes it.
/// Every request it saw is kept (method, path and query, Authorization header) for the test to assert on.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication application;

    private LoopbackHttpServer(WebApplication application, int port, ConcurrentQueue<SeenRequest> requests)
    {
        this.application = application;
        Port = port;
        Requests = requests;
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string Address => $"127.0.0.1:{Port}";

    public ConcurrentQueue<SeenRequest> Requests { get; }

    public static async Task<LoopbackHttpServer> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var application = builder.Build();
        var requests = new ConcurrentQueue<SeenRequest>();
        application.Run(async context =>
        {
            requests.Enqueue(new SeenRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.ToString()));
            await handler(context);
        });
        await application.StartAsync();
        var address = application.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new LoopbackHttpServer(application, new Uri(address).Port, requests);
    }

    public async ValueTask DisposeAsync()
    {
        await application.StopAsync();
        await application.DisposeAsync();
    }
}

/// <param name="Authorization">The Authorization header as sent, "" when none.</param>
public sealed record SeenRequest(string Method, string PathAndQuery, string Authorization);
