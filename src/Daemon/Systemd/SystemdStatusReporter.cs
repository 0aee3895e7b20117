using System.Globalization;
using Berth.Daemon.Loop;
using Berth.Reconciler.Loop;

namespace Berth.Daemon.Systemd;

/// <summary>Sets the unit's STATUS= text (shown by `systemctl status berth`) to the last pass's result.</summary>
internal sealed class SystemdStatusReporter(ISystemdStateSender notifier) : IPassCompletedListener
{
    /// <summary>systemd shows one line; keep it short.</summary>
    private const int MaxLength = 200;

    /// <summary>Never blocks the loop: a status that cannot be sent now is dropped; the next pass sends a fresh one.</summary>
    public void OnPassCompleted(PassRecord pass) => notifier.TrySend(OneLine("STATUS=" + Describe(pass)));

    public static string Describe(PassRecord pass)
    {
        var revision = pass.Revision is { Length: > 12 } long_ ? long_[..12] : pass.Revision ?? "no revision";
        return string.Create(CultureInfo.InvariantCulture, $"pass {pass.Number} {pass.Outcome.WireName()} at {revision} ({pass.Duration.TotalSeconds:F1} s): {pass.Summary}");
    }

    /// <summary>A notification is newline-separated assignments: a newline in a summary would start a bogus one.</summary>
    public static string OneLine(string text)
    {
        var flat = text.ReplaceLineEndings(" ");
        return flat.Length <= MaxLength ? flat : flat[..(MaxLength - 1)] + "…";
    }
}
