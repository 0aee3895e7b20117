using System.Reflection;
using Berth.Daemon.Configuration;
using Berth.Daemon.Http;
using Berth.Daemon.Loop;
using Berth.Daemon.Passes;
using Berth.Daemon.Systemd;
using Berth.Reconciler.Loop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon;

/// <summary>
/// Builds the `berth daemon` process: Kestrel for the HTTP endpoints, the reconcile loop, systemd
/// integration. <see cref="ConfigureServices"/> is where the reconcile pass is chosen.
/// </summary>
internal static class DaemonHost
{
    public static WebApplication Build(DaemonConfig config, IReadOnlyDictionary<string, string?> environment)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            // Not the working directory: under systemd it is /, and nothing is read from it anyway.
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(config.Listen);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = DaemonEndpoints.MaxWebhookBodyBytes;
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(config.LogLevel);
        // One line per request is noise in the journal; keep the framework's warnings and errors.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        SystemdIntegration.Add(builder.Host, environment);
        builder.Services.Configure<HostOptions>(options =>
        {
            // How long an in-flight pass gets to finish its current step after SIGTERM.
            options.ShutdownTimeout = config.Reconcile.ShutdownTimeout;
            // The loop never throws out of ExecuteAsync (it reports itself dead instead); if it ever did,
            // keep serving /healthz (503) rather than exiting with a stack trace.
            options.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });

        ConfigureServices(builder.Services, config, environment);

        var app = builder.Build();
        DaemonEndpoints.Map(app, config);
        return app;
    }

    /// <summary>
    /// The services of the daemon. THE place to wire the real reconcile pass: replace
    /// <see cref="PlaceholderPass"/> with the engine's <see cref="IReconcilePass"/> (it gets
    /// <see cref="DaemonConfig"/>, <see cref="TimeProvider"/>, loggers and <see cref="StatusBoard"/> from here).
    /// </summary>
    public static void ConfigureServices(IServiceCollection services, DaemonConfig config, IReadOnlyDictionary<string, string?> environment)
    {
        services.AddSingleton(config);
        services.AddSingleton(config.Reconcile);
        services.AddSingleton(TimeProvider.System);

        // ---- The reconcile pass --------------------------------------------------------------------
        if (environment.TryGetValue(ScriptedPass.EnvironmentVariable, out var script) && !string.IsNullOrEmpty(script))
        {
            services.AddSingleton<IReconcilePass>(provider => new ScriptedPass(script, provider.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddSingleton<IReconcilePass, PlaceholderPass>();
        }
        // ---------------------------------------------------------------------------------------------

        services.AddSingleton(provider => new StatusBoard(config.Host, Version, provider.GetRequiredService<TimeProvider>().GetUtcNow()));
        services.AddSingleton<IStatusSource>(provider => provider.GetRequiredService<StatusBoard>());
        services.AddSingleton<LoopLiveness>();
        services.AddSingleton<ReconcileLoop>();
        services.AddSingleton<IPassTrigger>(provider => provider.GetRequiredService<ReconcileLoop>());
        services.AddHostedService(provider => provider.GetRequiredService<ReconcileLoop>());

        // systemd: STATUS= after each pass and watchdog pings, when systemd listens.
        if (SystemdIntegration.IsSystemdService(environment, Environment.ProcessId)
            && environment.TryGetValue("NOTIFY_SOCKET", out var notifySocket) && !string.IsNullOrEmpty(notifySocket))
        {
            services.AddSingleton<ISystemdStateSender>(_ => new NotifySocketSender(notifySocket));
            services.AddSingleton<IPassCompletedListener, SystemdStatusReporter>();
            if (WatchdogSettings.FromEnvironment(environment, Environment.ProcessId) is { } watchdog)
            {
                services.AddSingleton(watchdog);
                services.AddHostedService<WatchdogService>();
            }
        }
    }

    public static string Version =>
        typeof(DaemonHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
