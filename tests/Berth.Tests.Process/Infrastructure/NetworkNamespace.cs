using System.Diagnostics;

namespace Berth.Tests.Process.Infrastructure;

/// <summary>
/// A network namespace of the test's own, joined to this one by a veth pair on a random /30 of
/// 198.18.0.0/15 (the benchmarking range: routed nowhere). A daemon started inside it listens on an
/// address that is not loopback (<see cref="InnerAddress"/>), which this process reaches through the pair,
/// without binding anything on the machine's real interfaces. Needs root (CAP_NET_ADMIN).
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private readonly string outerLink;

    private NetworkNamespace(string name, string outerLink, string innerAddress)
    {
        Name = name;
        this.outerLink = outerLink;
        InnerAddress = innerAddress;
    }

    public string Name { get; }

    /// <summary>The daemon's side of the pair.</summary>
    public string InnerAddress { get; }

    public static NetworkNamespace Create()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var name = "berth-t-" + id;
        var (outer, inner) = ("bto" + id, "bti" + id);
        // A /30 at random in 198.18.0.0/15: .1 here, .2 in the namespace.
        var block = Random.Shared.Next(0, 1 << 15) * 4;
        var prefix = $"198.{18 + (block >> 16)}.{(block >> 8) & 255}.";
        var (outerAddress, innerAddress) = (prefix + ((block & 255) + 1), prefix + ((block & 255) + 2));
        var created = new NetworkNamespace(name, outer, innerAddress);
        try
        {
            Run("ip", "netns", "add", name);
            Run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner);
            Run("ip", "link", "set", inner, "netns", name);
            Run("ip", "addr", "add", outerAddress + "/30", "dev", outer);
            Run("ip", "link", "set", outer, "up");
            Run("ip", "netns", "exec", name, "ip", "addr", "add", innerAddress + "/30", "dev", inner);
            Run("ip", "netns", "exec", name, "ip", "link", "set", inner, "up");
            Run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Deleting the namespace deletes its end of the pair, and with it this one; both are tried anyway.
        TryRun("ip", "link", "del", outerLink);
        TryRun("ip", "netns", "del", Name);
    }

    private static void Run(params string[] args)
    {
        var (exitCode, error) = Execute(args);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', args)} failed ({exitCode}): {error}");
        }
    }

    private static void TryRun(params string[] args) => Execute(args);

    private static (int ExitCode, string Error) Execute(string[] args)
    {
        var start = new ProcessStartInfo(args[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args[1..])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }
}
