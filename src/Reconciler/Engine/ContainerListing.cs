using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Reconciler.Observe;

namespace Berth.Reconciler.Engine;

/// <summary>
/// What the engine's container list says in its status text (<c>GET /containers/json</c>, field
/// <c>Status</c>), which is where the list carries health and exit code on every API version berth
/// supports (20.10 to 29; only the newest engines add a structured health field). The text is
/// moby's <c>container.State.String()</c>: "Up 2 minutes (healthy)", "Up 3 seconds (health: starting)",
/// "Up 1 hour (unhealthy)", "Up 5 minutes (Paused)", "Exited (137) 4 seconds ago", "Restarting (1) 2 seconds ago",
/// "Created", "Dead", "Removal In Progress". A dead container's text carries no exit code (an inspect
/// would); the planner only words its cause without it.
/// </summary>
internal static partial class ContainerListing
{
    /// <summary>The health in a status text; <see cref="ContainerHealth.None"/> when it names none (no health check, or not running).</summary>
    public static ContainerHealth Health(string? status)
    {
        // The health is the last parenthesis of an "Up ..." text; "(Paused)" is not a health.
        if (status is null || !status.StartsWith("Up ", StringComparison.Ordinal))
        {
            return ContainerHealth.None;
        }

        return status.EndsWith("(healthy)", StringComparison.Ordinal) ? ContainerHealth.Healthy
            : status.EndsWith("(unhealthy)", StringComparison.Ordinal) ? ContainerHealth.Unhealthy
            : status.EndsWith("(health: starting)", StringComparison.Ordinal) ? ContainerHealth.Starting
            : ContainerHealth.None;
    }

    /// <summary>The exit code of an "Exited (N) ..." text; null for any other.</summary>
    public static int? ExitCode(string? status)
    {
        var match = status is null ? null : ExitedPattern().Match(status);
        return match is { Success: true } && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code)
            ? code
            : null;
    }

    [GeneratedRegex(@"^Exited \((-?\d+)\)")]
    private static partial Regex ExitedPattern();
}
