using System.Reflection;
using Berth.Daemon.Configuration;
using Berth.Daemon.Fleet;
using Berth.Daemon.Http;
using Berth.Daemon.Loop;
using Berth.Daemon.Passes;
using Berth.Daemon.Systemd;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Git;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Metrics;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.State;
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
            kestrel.Limits.MaxRequestBodySize = DaemonEndpoints.ServerBodyLimitBytes;
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

        // Create the metrics now, not on first use: every known series must be there from the first scrape, at zero.
        app.Services.GetRequiredService<BerthMetrics>();
        DaemonEndpoints.UseRequestGuard(app, new RequestGuard(config.Listen, config.Http.AllowedHosts), config.Listen);
        DaemonEndpoints.Map(app, config);
        return app;
    }

    /// <summary>
    /// The services of the daemon: the reconcile pass (<see cref="GitOpsPass"/> over the git source,
    /// the Docker engine and berth's state), metrics, the loop, and systemd integration.
    /// </summary>
    public static void ConfigureServices(IServiceCollection services, DaemonConfig config, IReadOnlyDictionary<string, string?> environment)
    {
        services.AddSingleton(config);
        services.AddSingleton(config.Reconcile);
        services.AddSingleton(TimeProvider.System);

        // The API token exists before the listener answers: at start, written (or read) once.
        services.AddSingleton(ApiToken.LoadOrCreate(config.Http, config.StateDir));
        services.AddSingleton(provider => new SyncRateLimiter(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new RejectionLogLimiter(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new WebhookRateLimiter(provider.GetRequiredService<TimeProvider>()));

        // Metrics on prometheus-net's default registry (what /metrics serves). Counters that describe
        // history (applied revision, last success) are restored from berth's state file at start.
        // One store: the first read at start sets an unreadable state file aside and says so, once.
        services.AddSingleton(provider => new StateStore(config.StateDir, provider.GetRequiredService<ILogger<StateStore>>(), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider =>
        {
            var metrics = new BerthMetrics(timeProvider: provider.GetRequiredService<TimeProvider>());
            metrics.RestoreFrom(provider.GetRequiredService<StateStore>().LoadAsync(config.Host, CancellationToken.None).GetAwaiter().GetResult());
            return metrics;
        });

        // ---- The reconcile pass --------------------------------------------------------------------
        if (environment.TryGetValue(ScriptedPass.EnvironmentVariable, out var script) && !string.IsNullOrEmpty(script))
        {
            // Process tests of the host itself (webhooks, status, systemd) drive a scripted pass.
            services.AddSingleton<IReconcilePass>(provider => new ScriptedPass(script, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<ScriptedPass>>(), provider.GetRequiredService<ApplyObservers>()));
        }
        else
        {
            services.AddSingleton(provider => new GitSource(GitSourceOptionsFrom(config), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<GitSource>>()));
            // The engine and its events: the container disposes both (and their clients) at stop.
            // Secrets and configs go to a tmpfs only: not on one, the engine refuses services that have them (and says why).
            // Registry credentials from the host's Docker config.json, read on every pull and check (rotated tokens work at once).
            services.AddSingleton<Berth.Reconciler.Images.IRegistryCredentials>(provider =>
                new Berth.Reconciler.Images.DockerConfigCredentials(config.Registries.ConfigFile, provider.GetRequiredService<TimeProvider>()));
            services.AddSingleton(provider => DockerContainerEngine.Connect(
                config.DockerHost, TimeSpan.FromSeconds(60), config.Spec.SecretFilesDirectory, provider.GetRequiredService<Berth.Reconciler.Images.IRegistryCredentials>()));
            // The event stream is long-lived: its own client, without a request timeout.
            services.AddSingleton<IEngineEvents>(_ => DockerEngineEvents.Connect(config.DockerHost));
            // The informer: the last observation, kept while the engine's events say nothing changed.
            services.AddSingleton(provider => new Berth.Reconciler.Observe.ObservationCache(config.Host, config.Reconcile.ResyncInterval, provider.GetRequiredService<TimeProvider>()));
            services.AddSingleton(provider =>
            {
                // Retries outside the meter: every failed attempt is counted, the retried ones too. The
                // cache outside both: an observation it answers sends nothing.
                var time = provider.GetRequiredService<TimeProvider>();
                var metrics = provider.GetRequiredService<BerthMetrics>();
                var engine = new CachingContainerEngine(
                    new ResilientContainerEngine(new MeteredContainerEngine(
                        Berth.Reconciler.Faults.FaultInjectingContainerEngine.Wrap(provider.GetRequiredService<DockerContainerEngine>()), // docs/reliability.md: a testing aid, absent unless BERTH_FAULT_INJECT is set
                        metrics), time),
                    provider.GetRequiredService<Berth.Reconciler.Observe.ObservationCache>(),
                    metrics.RecordObserve);
                var tagChecker = new Berth.Reconciler.Images.TagChecker(
                    new Berth.Reconciler.Images.RegistryClient(
                        provider.GetRequiredService<Berth.Reconciler.Images.IRegistryCredentials>(),
                        new Berth.Reconciler.Images.RegistryClientOptions { CaFiles = config.Registries.CaFiles }),
                    time);
                // The health gates learn from the same event stream the front watcher uses (a request each).
                return new HostReconciler(engine, provider.GetRequiredService<StateStore>(), time, tagChecker: tagChecker, events: provider.GetRequiredService<IEngineEvents>());
            });
            if (config.Waves is { } waves)
            {
                // One client for the daemon's life: the gate asks at most twice per pass.
                services.AddSingleton<Berth.Reconciler.Waves.IWaveGateSource>(_ => new Berth.Reconciler.Waves.PrometheusGateSource(
                    new HttpClient { Timeout = waves.Timeout }, waves.Url, waves.HostLabel));
            }

            services.AddSingleton(provider => new ImageCollectionSchedule(
                new Berth.Reconciler.Images.ImageGarbageCollector(
                    new ResilientContainerEngine(new MeteredContainerEngine(provider.GetRequiredService<DockerContainerEngine>(), provider.GetRequiredService<BerthMetrics>()), provider.GetRequiredService<TimeProvider>()),
                    provider.GetRequiredService<StateStore>()),
                config.Images,
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<ImageCollectionSchedule>>()));
            // The last loaded commit, kept while the tip and what the load read from the host stay the same.
            services.AddSingleton<Berth.Reconciler.Reconciliation.DesiredStateCache>();
            services.AddSingleton<IReconcilePass, GitOpsPass>();

            // Before the loop (hosted services start in order): the stream is up before the first pass lists.
            services.AddHostedService(provider => new ObservationInformer(
                provider.GetRequiredService<Berth.Reconciler.Observe.ObservationCache>(),
                provider.GetRequiredService<IEngineEvents>(),
                provider.GetRequiredService<ILogger<ObservationInformer>>()));

            // Fronts follow restarts at once (a reboot, an engine upgrade, a restart policy).
            services.AddHostedService(provider => new FrontWatcher(
                provider.GetRequiredService<IEngineEvents>(),
                config.Host,
                provider.GetRequiredService<IPassTrigger>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<FrontWatcher>>()));
        }
        // ---------------------------------------------------------------------------------------------

        // Commit statuses on the forge and notifications: they listen to passes, never slow one down.
        FleetServices.Add(services, config);

        // The board starts from berth's state file too: a restart keeps the last applied revision and the history.
        services.AddSingleton(provider =>
        {
            var board = new StatusBoard(config.Host, Version, provider.GetRequiredService<TimeProvider>().GetUtcNow());
            board.RestoreFrom(provider.GetRequiredService<StateStore>().LoadAsync(config.Host, CancellationToken.None).GetAwaiter().GetResult());
            return board;
        });
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

        // The GC heap's free memory back to the system after the passes that did real work (HeapTrimmer).
        // Last: the loop tells listeners in order, and systemd's STATUS= must not wait for a collection.
        services.AddSingleton<IPassCompletedListener>(_ => new HeapTrimmer());
    }

    /// <summary>The git source's options from berth.yaml's `source:`; validated when the config was loaded.</summary>
    internal static GitSourceOptions GitSourceOptionsFrom(DaemonConfig config) => ConfigLoader.GitSourceOptionsFrom(config);

    public static string Version =>
        typeof(DaemonHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
