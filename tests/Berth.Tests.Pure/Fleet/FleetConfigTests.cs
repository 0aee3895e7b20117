using Berth.Daemon.Configuration;
using Berth.Daemon.Notifications;
using Berth.Reconciler.Forge;

namespace Berth.Tests.Fleet;

/// <summary>berth.yaml's `forge:`, `commitStatus:` and `notifications:`: defaults, and errors at file:line:column.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FleetConfigTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-fleet-config-").FullName;

    public FleetConfigTests()
    {
        WriteSecret("forge-token", "ghp_forgetoken0123456789\n");
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string ConfigFile => Path.Combine(directory, "berth.yaml");

    private ConfigLoadResult Load(string yaml) => ConfigLoader.Load(ConfigFile, yaml, "web-1");

    private void WriteSecret(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var file = Path.Combine(directory, name);
        File.WriteAllText(file, content);
        File.SetUnixFileMode(file, mode);
    }

    private IReadOnlyList<string> Errors(string yaml)
    {
        var result = Load(yaml);
        Assert.False(result.Succeeded);
        return [.. result.Errors.Select(error => error.ToString().Replace(ConfigFile, "berth.yaml", StringComparison.Ordinal))];
    }

    [Fact]
    public void Load_ForgeWithOnlyATokenFile_TakesForgeAndRepositoryFromTheSourceUrl()
    {
        var result = Load("""
            source:
              url: https://github.com/acme/deploy.git
            forge:
              tokenFile: forge-token
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var config = result.Config!;
        Assert.Equal(new ForgeRepository(ForgeKind.GitHub, new Uri("https://api.github.com/"), "acme/deploy"), config.Forge!.Repository);
        Assert.Equal(Path.Combine(directory, "forge-token"), config.Forge.TokenFile);
        Assert.Equal(CommitStatusSettings.Default, config.CommitStatus);
        Assert.Null(config.Notifications);
    }

    [Fact]
    public void Load_ExplicitForge_WinsOverTheSourceUrl()
    {
        var result = Load("""
            source:
              url: https://git.example.com/ops/deploy.git
            forge:
              provider: gitlab
              apiUrl: https://gitlab.example.com/api/v4
              repository: ops/fleet/deploy
              tokenFile: forge-token
            commitStatus:
              context: deploy
              targetUrl: https://grafana.example.com/d/berth
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(new ForgeRepository(ForgeKind.GitLab, new Uri("https://gitlab.example.com/api/v4"), "ops/fleet/deploy"), result.Config!.Forge!.Repository);
        Assert.Equal(new CommitStatusSettings(true, "deploy", "https://grafana.example.com/d/berth"), result.Config.CommitStatus);
    }

    [Fact]
    public void Load_TokenFileOthersCanRead_IsRefusedAtItsPosition()
    {
        WriteSecret("open-token", "t0ken\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var errors = Errors("""
            source:
              url: https://github.com/acme/deploy.git
            forge:
              tokenFile: open-token
            """);

        Assert.Equal([$"berth.yaml:4:3: forge.tokenFile: '{Path.Combine(directory, "open-token")}' can be read or written by other users (mode 604); make it 0600 or 0400 (chmod 600)"], errors);
    }

    [Fact]
    public void Load_ForgeThatTheSourceUrlDoesNotName_AsksForTheProvider()
    {
        var errors = Errors("""
            source:
              url: https://git.example.com/ops/deploy.git
            forge:
              tokenFile: forge-token
            """);

        Assert.Equal(["berth.yaml:4:3: forge.provider: required: the source URL does not tell which forge it is (github, gitlab or gitea)"], errors);
    }

    [Fact]
    public void Load_Notifications_ReadsEverySinkWithItsEvents()
    {
        WriteSecret("ntfy-token", "tk_x\n");
        WriteSecret("smtp-password", "pw\n");

        var result = Load("""
            source:
              url: https://github.com/acme/deploy.git
            notifications:
              repeatInterval: 30m
              sinks:
                - type: webhook
                  url: https://hooks.example.com/berth
                - type: slack
                  url: https://hooks.slack.com/services/T000/B000/XXXX
                  events: [rolledBack, commitRefused, recovered]
                - type: ntfy
                  url: https://ntfy.example.com/berth
                  tokenFile: ntfy-token
                - type: email
                  host: smtp.example.com
                  port: 587
                  startTls: true
                  from: berth@example.com
                  to: [ops@example.com]
                  username: berth
                  passwordFile: smtp-password
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var notifications = result.Config!.Notifications!;
        Assert.Equal(TimeSpan.FromMinutes(30), notifications.RepeatInterval);
        Assert.Equal([NotificationSinkType.Webhook, NotificationSinkType.Slack, NotificationSinkType.Ntfy, NotificationSinkType.Email], notifications.Sinks.Select(sink => sink.Type));
        Assert.Empty(notifications.Sinks[0].Events);
        Assert.Equal([NotificationEvent.RolledBack, NotificationEvent.CommitRefused, NotificationEvent.Recovered], notifications.Sinks[1].Events.Order());
        Assert.Equal(Path.Combine(directory, "ntfy-token"), notifications.Sinks[2].TokenFile);
        var smtp = notifications.Sinks[3].Smtp!;
        Assert.Equal(("smtp.example.com", 587, true, "berth@example.com", "berth", "pw"), (smtp.Host, smtp.Port, smtp.StartTls, smtp.From, smtp.Username, smtp.ReadPassword!()));
        Assert.Equal(["ops@example.com"], smtp.To);
    }

    [Fact]
    public void Load_BadNotifications_ReportsEveryErrorWithItsPosition()
    {
        var errors = Errors("""
            source:
              url: https://github.com/acme/deploy.git
            notifications:
              repeatInterval: soon
              sinks:
                - type: pager
                - type: slack
                  url: ftp://hooks.example.com/x
                  events: [rolledBack, exploded]
                - type: webhook
                  url: https://hooks.example.com/x
                  to: [ops@example.com]
                - type: email
                  host: smtp.example.com
                  from: not-an-address
                  to: [ops@example.com]
                  username: berth
            """);

        Assert.Equal(
            [
                "berth.yaml:4:19: notifications.repeatInterval: invalid duration 'soon': it must start with a number; write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m",
                "berth.yaml:6:13: notifications.sinks[0].type: 'pager' is not one of webhook, slack (mattermost, discord), ntfy, email",
                "berth.yaml:8:12: notifications.sinks[1].url: 'ftp://hooks.example.com/x' is not an http:// or https:// URL",
                "berth.yaml:9:28: notifications.sinks[1].events: 'exploded' is not one of rolledBack, commitRefused, stalled, recovered, driftRepaired, orphanedVolume",
                "berth.yaml:12:7: notifications.sinks[2].to: not a setting of a webhook sink (its settings: type, events, url)",
                "berth.yaml:15:7: notifications.sinks[3].from: 'not-an-address' is not an e-mail address",
                "berth.yaml:17:7: notifications.sinks[3].username and notifications.sinks[3].passwordFile: give both (SMTP AUTH) or neither",
            ],
            errors);
    }

    [Fact]
    public void Load_CommitStatusWithoutForge_IsAnError()
    {
        var errors = Errors("""
            source:
              url: https://github.com/acme/deploy.git
            commitStatus:
              context: deploy
            """);

        Assert.Equal(["berth.yaml:4:3: commitStatus: needs a forge: section (where to send the statuses)"], errors);
    }
}
