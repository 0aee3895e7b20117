using Berth.Reconciler.Processes;

namespace Berth.Reconciler.Fronts;

/// <summary>Installs a nat table in a front's network namespace (narrow, so logic tests can record it).</summary>
public interface IFrontRules
{
    /// <param name="frontPid">The front's process id on the host: its network namespace is /proc/PID/ns/net.</param>
    Task ApplyAsync(int frontPid, string natTable, CancellationToken cancellationToken);
}

/// <summary>The front's rules could not be installed: the service's traffic still follows the previous ones.</summary>
public sealed class FrontRoutingException(string message) : Exception(message);

/// <summary>
/// <c>nsenter --net=/proc/PID/ns/net iptables-restore</c>: the rules live in the front's own network
/// namespace, so berth changes nothing in the host's firewall and needs no <c>br_netfilter</c>. Needs
/// root (setns), nsenter (util-linux) and iptables (a dependency of docker.io).
/// </summary>
public sealed class NetnsFrontRules(TimeProvider timeProvider) : IFrontRules
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public async Task ApplyAsync(int frontPid, string natTable, CancellationToken cancellationToken)
    {
        var namespacePath = $"/proc/{frontPid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/ns/net";
        // Never the host's own namespace (a reused pid, a front in network_mode host): replacing that
        // nat table would wipe Docker's own rules.
        if (NamespaceOf(namespacePath) is not { } target || target == NamespaceOf("/proc/self/ns/net"))
        {
            throw new FrontRoutingException($"refusing to program the front: process {frontPid} is gone or shares berth's own network namespace");
        }

        // -w: wait for iptables' lock (iptables-legacy takes it; dockerd holds it briefly while it
        // programs a container's ports) instead of failing at once.
        var request = new ProcessRequest("nsenter", [$"--net={namespacePath}", "--", "iptables-restore", "-w", "5"])
        {
            StandardInput = System.Text.Encoding.ASCII.GetBytes(natTable),
            Timeout = Timeout,
        };
        ProcessOutcome outcome;
        try
        {
            outcome = await new BoundedProcess(timeProvider).RunAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessRunException exception)
        {
            throw new FrontRoutingException($"could not run nsenter to program the front: {exception.Message} (install util-linux and iptables)");
        }

        if (!outcome.Succeeded)
        {
            var why = outcome.TimedOut ? $"timed out after {Timeout.TotalSeconds:0} s" : outcome.StandardError.Trim();
            throw new FrontRoutingException($"could not program the front's forwarding rules (nsenter … iptables-restore): {why}");
        }
    }

    /// <summary>"net:[4026531992]": which namespace a /proc/…/ns/net link names; null when it does not exist.</summary>
    private static string? NamespaceOf(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
