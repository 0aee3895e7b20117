using System.Globalization;
using System.Text;
using Berth.Reconciler.Loop;

namespace Berth.Daemon.Cli;

/// <summary>
/// `berth status` for a person: conditions first (is it fine? if not, why), then revisions, services
/// with their last rollout and its evidence, then the recent passes. Pure: snapshot in, text out.
/// </summary>
internal static class StatusRenderer
{
    public static string Render(StatusSnapshot status)
    {
        var text = new StringBuilder();
        Line(text, $"host {status.Host}   berth {status.Version}   up since {Time(status.StartedAt)}");
        text.AppendLine();

        foreach (var condition in status.Conditions)
        {
            var message = condition.Message.Length > 0 ? $": {condition.Message}" : "";
            Line(text, $"{condition.Type,-12} {condition.Status,-7} {condition.Reason} (since {Time(condition.Since)}){message}");
        }

        text.AppendLine();
        Line(text, $"last applied    {(status.LastApplied is { } applied ? $"{applied.Revision} at {Time(applied.AppliedAt)}" : "none yet")}");
        Line(text, $"last attempted  {(status.LastAttempted is { } attempted ? DescribePass(attempted) : "none yet")}");
        if (status.Loop.PassRunning)
        {
            Line(text, $"now             pass running since {Time(status.Loop.CurrentPassStartedAt)} ({status.Loop.CurrentTrigger})");
        }
        else if (status.Loop.NextPassDueAt is { } due)
        {
            Line(text, $"next pass       {Time(due)}");
        }

        if (status.Loop.ConsecutiveFailures > 0 || status.Loop.PassExceptions > 0)
        {
            Line(text, $"failures        {status.Loop.ConsecutiveFailures} in a row; {status.Loop.PassExceptions} pass exception(s) since start");
        }

        text.AppendLine();
        RenderServices(text, status.Services);
        text.AppendLine();
        Line(text, "RECENT PASSES");
        if (status.History.Count == 0)
        {
            Line(text, "  none yet");
        }

        foreach (var pass in status.History)
        {
            Line(text, $"  #{pass.Number,-4} {Time(pass.StartedAt)}  {pass.Trigger,-8} {pass.Outcome.WireName(),-9} {ShortRevision(pass.Revision),-12} {Seconds(pass.Duration),7}  {pass.Summary}");
        }

        return text.ToString();
    }

    /// <summary>One line for a pass: `berth sync` prints this, and `berth status` as "last attempted".</summary>
    public static string DescribePass(PassRecord pass)
    {
        var reason = pass.Outcome.Succeeded() ? "" : $" ({pass.Reason})";
        return string.Create(CultureInfo.InvariantCulture,
            $"pass {pass.Number} ({pass.Trigger}) {pass.Outcome.WireName()}{reason} at {pass.Revision ?? "no revision"}, {Time(pass.StartedAt)}, {Seconds(pass.Duration)}: {pass.Summary}");
    }

    private static void RenderServices(StringBuilder text, IReadOnlyList<ServiceStatus> services)
    {
        Line(text, "SERVICES (running/healthy/desired)");
        if (services.Count == 0)
        {
            Line(text, "  none observed yet");
            return;
        }

        foreach (var service in services)
        {
            var rollout = service.LastRollout is { } last
                ? $"last rollout {last.Result} {ShortRevision(last.Revision)}{(last.At is { } at ? " at " + Time(at) : "")}"
                : "never rolled out by berth";
            // A one-shot job is not meant to run: say how it last exited instead.
            var job = service.Job is { } jobStatus
                ? $"job, {(jobStatus.LastExitCode is { } exitCode ? $"last exit {exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "not exited yet")}; "
                : "";
            Line(text, $"  {service.Stack + "/" + service.Service,-32} {service.Running}/{service.Healthy}/{service.DesiredReplicas,-6} {job}{rollout}");
            if (service.Image is { ImageId: { } imageId } image)
            {
                Line(text, $"      image {image.Reference} ({Berth.Reconciler.Images.ImageReference.ShortId(imageId)}{(image.Digest is { } digest ? ", " + digest : "")})");
            }
            if (service.LastRollout is { Evidence: { Length: > 0 } evidence } && service.LastRollout.Result != RolloutState.Succeeded)
            {
                foreach (var evidenceLine in evidence.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
                {
                    Line(text, $"      | {evidenceLine}");
                }
            }
        }
    }

    private static string ShortRevision(string? revision) => revision is null ? "-" : revision.Length > 12 ? revision[..12] : revision;

    private static string Time(DateTimeOffset? time) =>
        time is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s";

    private static void Line(StringBuilder text, FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

    private static void Line(StringBuilder text, string line) => text.AppendLine(line);
}
