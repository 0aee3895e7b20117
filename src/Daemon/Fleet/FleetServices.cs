using Berth.Daemon.Configuration;
using Berth.Daemon.Loop;
using Berth.Daemon.Notifications;
using Berth.Reconciler.Forge;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Daemon.Fleet;

/// <summary>
/// The daemon's services that talk to the world about passes: commit statuses on the forge and
/// notifications (docs/fleet.md). Both only listen to the loop and the pass; neither can fail or
/// delay one.
/// </summary>
internal static class FleetServices
{
    /// <summary>How long one forge or notification request may take before it counts as failed (and is retried).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static void Add(IServiceCollection services, DaemonConfig config)
    {
        services.AddSingleton(provider => new ApplyObservers(provider.GetServices<IApplyObserver>(), provider.GetRequiredService<ILogger<ApplyObservers>>()));

        if (config.Forge is { } forge)
        {
            // Registered whenever a forge is configured: the wave gate reads statuses through it.
            services.AddSingleton<ICommitStatusProvider>(_ => forge.Repository.CreateProvider(new HttpClient { Timeout = RequestTimeout }, () => ConfigLoader.ReadSecretText(forge.TokenFile)));
            if (config.CommitStatus.Enabled)
            {
                services.AddSingleton(provider => new CommitStatusSender(
                    provider.GetRequiredService<ICommitStatusProvider>(), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<CommitStatusSender>>()));
                services.AddHostedService(provider => provider.GetRequiredService<CommitStatusSender>());
                services.AddSingleton(provider => new CommitStatusReporter(
                    provider.GetRequiredService<CommitStatusSender>(),
                    CommitStatusReporter.ContextFor(config.CommitStatus.ContextPrefix, config.Host),
                    config.Host,
                    config.CommitStatus.TargetUrl));
                services.AddSingleton<IPassCompletedListener>(provider => provider.GetRequiredService<CommitStatusReporter>());
                services.AddSingleton<IApplyObserver>(provider => provider.GetRequiredService<CommitStatusReporter>());
            }
        }

        if (config.Notifications is { Sinks.Count: > 0 } notifications)
        {
            services.AddSingleton(provider =>
            {
                var http = new HttpClient { Timeout = RequestTimeout };
                return new NotificationDispatcher(
                    [.. notifications.Sinks.Select(sink => new NotificationRoute(CreateSink(sink, http), sink.Events))],
                    config.Host,
                    notifications.RepeatInterval,
                    provider.GetRequiredService<TimeProvider>(),
                    provider.GetRequiredService<ILogger<NotificationDispatcher>>());
            });
            services.AddHostedService(provider => provider.GetRequiredService<NotificationDispatcher>());
            services.AddSingleton<IPassCompletedListener>(provider => provider.GetRequiredService<NotificationDispatcher>());
            services.AddSingleton<IApplyObserver>(provider => provider.GetRequiredService<NotificationDispatcher>());
        }
    }

    internal static INotificationSink CreateSink(NotificationSinkSettings sink, HttpClient http) => sink.Type switch
    {
        NotificationSinkType.Webhook => new JsonWebhookSink(http, sink.Url!),
        NotificationSinkType.Slack => new SlackWebhookSink(http, sink.Url!),
        NotificationSinkType.Ntfy => new NtfySink(http, sink.Url!, sink.TokenFile is { } tokenFile ? () => ConfigLoader.ReadSecretText(tokenFile) : null),
        _ => new SmtpSink(sink.Smtp!),
    };
}
