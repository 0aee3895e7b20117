using Berth.Daemon.Notifications;
using Berth.Reconciler.Forge;

namespace Berth.Daemon.Configuration;

/// <summary>
/// `forge:`: the git forge that holds the desired-state repository, for commit statuses (docs/fleet.md).
/// The token is read from <paramref name="TokenFile"/> on every request (a rotated token needs no restart); never logged.
/// </summary>
/// <param name="Repository">The forge, its API root and the repository (from `source.url` unless given).</param>
/// <param name="TokenFile">Absolute path of a file only the daemon's user may read (0600 or 0400).</param>
public sealed record ForgeSettings(ForgeRepository Repository, string TokenFile);

/// <summary>`commitStatus:`: how this host reports on commits. Only with `forge:`.</summary>
/// <param name="Enabled">Default true when `forge:` is set; false keeps the forge for reading only.</param>
/// <param name="ContextPrefix">The context is PREFIX/HOST. Default "berth".</param>
/// <param name="TargetUrl">A link shown with every status (e.g. this host's dashboard); null: none.</param>
public sealed record CommitStatusSettings(bool Enabled, string ContextPrefix, string? TargetUrl)
{
    public static readonly CommitStatusSettings Default = new(true, "berth", null);
}

/// <summary>The kinds of notification sinks.</summary>
public enum NotificationSinkType
{
    Webhook,
    Slack,
    Ntfy,
    Email,
}

/// <summary>One entry of `notifications.sinks:`.</summary>
/// <param name="Url">webhook, slack, ntfy: where to POST (the ntfy topic URL).</param>
/// <param name="TokenFile">ntfy: an access token file (sent as a bearer token); optional.</param>
/// <param name="Smtp">email: the server and addresses.</param>
/// <param name="Events">Which events it gets; empty: all.</param>
public sealed record NotificationSinkSettings(NotificationSinkType Type, Uri? Url, string? TokenFile, SmtpSettings? Smtp, IReadOnlySet<NotificationEvent> Events);

/// <summary>`notifications:`.</summary>
/// <param name="RepeatInterval">An identical failure is sent again at most this often. Default 1 h.</param>
public sealed record NotificationSettings(TimeSpan RepeatInterval, IReadOnlyList<NotificationSinkSettings> Sinks)
{
    public static readonly TimeSpan DefaultRepeatInterval = TimeSpan.FromHours(1);
}
