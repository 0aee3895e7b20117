using Berth.Reconciler.Loop;

namespace Berth.Daemon.Http;

/// <summary>
/// The status document for a request without the API token: everything but rollout evidence. Evidence
/// holds the last log lines of containers, which may print anything the application knows (connection
/// strings, tokens), so only those who may run passes (root on the host, with the token) read it.
/// </summary>
public static class StatusRedaction
{
    public const string HiddenEvidence = "(hidden: send the daemon's API token to see it, e.g. run `berth status` as root; see docs/daemon.md)";

    public static StatusSnapshot WithoutEvidence(StatusSnapshot snapshot) =>
        snapshot.Services.Any(service => service.LastRollout?.Evidence is not null)
            ? snapshot with
            {
                Services = [.. snapshot.Services.Select(service => service.LastRollout is { Evidence: not null } rollout
                    ? service with { LastRollout = rollout with { Evidence = HiddenEvidence } }
                    : service)],
            }
            : snapshot;
}
