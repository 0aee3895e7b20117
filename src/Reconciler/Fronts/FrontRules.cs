using System.Globalization;
using System.Text;

namespace Berth.Reconciler.Fronts;

/// <summary>
/// The nat table of a front's own network namespace, as <c>iptables-restore</c> input. Pure: the
/// same backends always give the same text, so it can be tested without a kernel.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Every new connection addressed to the front itself (any of its addresses, any port, TCP or
/// UDP) is sent to one backend, chosen at random with equal weight: rule i of n matches with
/// probability 1/(n-i), the last one always.</item>
/// <item>MASQUERADE makes the front the source, so replies come back through it (and a replica that
/// calls its own service reaches itself: hairpin). The cost: the replica sees the front's address,
/// not the client's.</item>
/// <item>The table is replaced as a whole and atomically. Connections already open keep their
/// translation in conntrack, so a replica taken out of the table finishes what it serves: that is
/// the drain. No rule for no backend: the front's own kernel refuses the connection at once.</item>
/// <item>The rules match on address type, not on the front's addresses, so they stay right however
/// the front's interfaces are numbered.</item>
/// </list>
/// </remarks>
public static class FrontRules
{
    public static string NatTable(IReadOnlyList<string> backendAddresses)
    {
        var table = new StringBuilder()
            .Append("*nat\n")
            .Append(":PREROUTING ACCEPT [0:0]\n")
            .Append(":INPUT ACCEPT [0:0]\n")
            .Append(":OUTPUT ACCEPT [0:0]\n")
            .Append(":POSTROUTING ACCEPT [0:0]\n");
        for (var index = 0; index < backendAddresses.Count; index++)
        {
            var address = backendAddresses[index];
            if (!System.Net.IPAddress.TryParse(address, out var parsed) || parsed.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"not an IPv4 address: '{address}'", nameof(backendAddresses));
            }

            var remaining = backendAddresses.Count - index;
            var choice = remaining > 1
                ? string.Create(CultureInfo.InvariantCulture, $" -m statistic --mode random --probability {1.0 / remaining:0.00000000}")
                : string.Empty;
            table.Append("-A PREROUTING -m addrtype --dst-type LOCAL").Append(choice).Append(" -j DNAT --to-destination ").Append(parsed).Append('\n');
        }

        return table
            .Append("-A POSTROUTING -m conntrack --ctstate DNAT -j MASQUERADE\n")
            .Append("COMMIT\n")
            .ToString();
    }
}
