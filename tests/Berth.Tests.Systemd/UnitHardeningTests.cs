using Berth.Tests.Systemd.Infrastructure;
using Xunit.Abstractions;

namespace Berth.Tests.Systemd;

/// <summary>
/// Every hardening option of packaging/systemd/berth.service is in effect on the running berth, and
/// the same sandbox still reaches the Docker socket, writes the state directory and runs git.
/// </summary>
public sealed class UnitHardeningTests(ITestOutputHelper output)
{
    /// <summary>The unit's options and the value `systemctl show` reports for each once loaded.</summary>
    public static readonly (string Property, string Expected)[] Hardening =
    [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ReadWritePaths", "-/run/docker.sock -/run/xtables.lock"),
        ("ProtectHome", "read-only"),
        ("PrivateTmp", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("LockPersonality", "yes"),
        ("RestrictRealtime", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_NETLINK AF_UNIX"), // systemd lists them sorted
        ("SystemCallArchitectures", "native"),
        ("SystemCallErrorNumber", "1"), // EPERM: a refused call is an error berth reports, not a SIGSYS kill
        ("RestrictNamespaces", "net"),
        // systemd lists them in capability-number order.
        ("CapabilityBoundingSet", "cap_dac_override cap_dac_read_search cap_fowner cap_net_admin cap_net_raw cap_sys_admin"),
        ("PrivateDevices", "yes"),
        ("DevicePolicy", "closed"),
        ("UMask", "0077"),
        ("MemoryHigh", "805306368"),
        ("MemoryMax", "1073741824"),
        ("StateDirectory", "berth"),
        ("ConfigurationDirectory", "berth"),
        ("ReadOnlyPaths", "/etc/berth"),
        // Must stay off: it hides /proc/1 and the hosting package then never sends READY=1.
        ("ProtectProc", "default"),
    ];

    [Fact]
    public async Task Hardening_RunningBerth_EveryOptionInEffect()
    {
        var deb = await DebPackages.CurrentAsync();
        var (container, _) = await BerthPackage.RunningAsync(deb);
        await using var _container = container;

        var failures = new List<string>();
        foreach (var (property, expected) in Hardening)
        {
            var actual = await container.UnitPropertyAsync(BerthPackage.Unit, property);
            if (actual != expected)
            {
                failures.Add($"{property}: expected '{expected}', systemd has '{actual}'");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // The running process itself: no new privileges, and a mount namespace in which the system is
        // read-only but the state directory is writable and the Docker socket is there.
        var pid = await BerthPackage.MainPidAsync(container);
        var status = await container.CheckedAsync($"cat /proc/{pid}/status");
        Assert.Matches(@"NoNewPrivs:\s+1", status);
        AssertBoundedCapabilities(System.Text.RegularExpressions.Regex.Match(status, @"CapBnd:\s+([0-9a-f]+)").Groups[1].Value);
        Assert.Matches(@"Seccomp:\s+2", status); // filter mode: SystemCallFilter is in effect
        // The system-call filter keeps what berth runs: setns (fronts) and sched_setaffinity (the .NET
        // runtime will not start without it), not setuid or setpriority.
        var allowed = (await container.UnitPropertyAsync(BerthPackage.Unit, "SystemCallFilter")).Split(' ');
        Assert.Contains("setns", allowed);
        Assert.Contains("sched_setaffinity", allowed);
        Assert.DoesNotContain("setuid", allowed);
        Assert.DoesNotContain("setpriority", allowed);
        await container.CheckedAsync($"nsenter -t {pid} -m sh -c '! touch /usr/.berth-probe 2>/dev/null && ! touch /etc/berth/.berth-probe 2>/dev/null && touch /var/lib/berth/.berth-probe && rm /var/lib/berth/.berth-probe && test -S /run/docker.sock'");
    }

    /// <summary>
    /// `systemd-analyze security berth` on Debian 12 (systemd 252): 6.6 before the capability bounding set,
    /// system-call filter, private devices, namespace restriction, umask and read-only homes; 2.8 with them (ProtectHome=yes scores the same)
    /// (2.6 if .NET did not need sched_setaffinity from @resources).
    /// An exact value: a change either way must be a decision, recorded in docs/install.md ("Hardening").
    /// </summary>
    public const string ExpectedExposure = "2.8";

    // Outside /root (read-only, ProtectHome) and /tmp (private): readable from inside the sandbox.
    private const string ProbeScript = "/usr/local/lib/berth-sandbox-probe.sh";

    // CAP_DAC_OVERRIDE (1), CAP_DAC_READ_SEARCH (2), CAP_FOWNER (3), CAP_NET_ADMIN (12), CAP_NET_RAW (13), CAP_SYS_ADMIN (21).
    private const string BoundingSetMask = "20300e";

    /// <summary>
    /// Nothing outside the unit's set, and the two the fronts need. The test host is a container whose own
    /// bounding set lacks some of the unit's (CAP_DAC_READ_SEARCH), so the process has the intersection.
    /// </summary>
    private static void AssertBoundedCapabilities(string capBndHex)
    {
        var bounding = Convert.ToUInt64(capBndHex, 16);
        var allowed = Convert.ToUInt64(BoundingSetMask, 16);
        const ulong frontCapabilities = (1UL << 12) | (1UL << 21); // CAP_NET_ADMIN, CAP_SYS_ADMIN
        Assert.True((bounding & ~allowed) == 0, $"CapBnd {capBndHex} has capabilities outside {BoundingSetMask}");
        Assert.True((bounding & frontCapabilities) == frontCapabilities, $"CapBnd {capBndHex} lacks CAP_NET_ADMIN or CAP_SYS_ADMIN");
    }

    [Fact]
    public async Task Hardening_SystemdAnalyzeSecurity_ScoresTheRecordedExposure()
    {
        var deb = await DebPackages.CurrentAsync();
        await using var container = await SystemdContainer.StartAsync();
        await BerthPackage.InstallAsync(container, deb);

        var analysis = await container.CheckedAsync($"systemd-analyze security --no-pager {BerthPackage.Unit}");
        output.WriteLine(analysis);

        var score = System.Text.RegularExpressions.Regex.Match(analysis, @"Overall exposure level for \S+: (\d+\.\d+)");
        Assert.True(score.Success, "no overall exposure level in:\n" + analysis);
        Assert.Equal(ExpectedExposure, score.Groups[1].Value);
    }

    [Fact]
    public async Task Hardening_SameSandbox_ReachesDockerStateAndGit()
    {
        var deb = await DebPackages.CurrentAsync();
        await using var container = await SystemdContainer.StartAsync();
        await BerthPackage.InstallAsync(container, deb);
        await container.CheckedAsync("touch /tmp/berth-outside-marker /root/berth-outside-marker");
        // What a container leaves in the live directory: a directory of another user, private to it.
        await container.CheckedAsync("mkdir -p /var/lib/berth/repo/data && install -d -o 999 -g 999 -m 0700 /var/lib/berth/repo/data/db && touch /var/lib/berth/repo/data/db/PG_VERSION && chown 999:999 /var/lib/berth/repo/data/db/PG_VERSION");
        // A front stand-in outside the sandbox: a process in its own network namespace with no capabilities
        // (fronts run with CapDrop ALL), whose namespace the sandbox must enter to install a nat table.
        await container.CheckedAsync("systemd-run --unit berth-probe-front --collect -p PrivateNetwork=yes -p CapabilityBoundingSet= -p NoNewPrivileges=yes sleep 600");
        var frontPid = (await container.CheckedAsync("systemctl show -p MainPID --value berth-probe-front")).Trim();

        // A transient service with every [Service] sandboxing line of the installed unit (not Type,
        // ExecStart, restart or watchdog settings), running what berth does: the Docker API over the
        // socket, git, writes to its state directory; and probing that each protection holds.
        var properties = (await container.CheckedAsync(
                "sed -n '/^\\[Service\\]/,/^\\[/p' /lib/systemd/system/berth.service | grep -E '^[A-Za-z]+=' " +
                "| grep -vE '^(Type|ExecStart|WatchdogSec|Restart|RestartSec|TimeoutStopSec|SyslogIdentifier)='"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("ProtectSystem=strict", properties);
        // Each check prints "ok:" or "FAILED:" with what it shows, so a failure names the option.
        string[] checks =
        [
            "Docker API over the socket (ReadWritePaths, RestrictAddressFamilies)|docker -H unix:///run/docker.sock version --format '{{.Server.Version}}'",
            "git runs (NoNewPrivileges, SystemCallArchitectures)|git --version",
            "the .NET runtime starts (SystemCallFilter keeps sched_setaffinity)|/usr/bin/berth --version",
            "state directory writable (StateDirectory)|touch /var/lib/berth/.probe && rm /var/lib/berth/.probe",
            "config readable (ConfigurationDirectory)|test -r /etc/berth/berth.yaml",
            "config not writable (ReadOnlyPaths over ConfigurationDirectory)|! touch /etc/berth/.probe 2>/dev/null",
            "/usr not writable (ProtectSystem=strict)|! touch /usr/lib/.probe 2>/dev/null",
            "homes readable, not writable (ProtectHome=read-only: a key under /root/.ssh still works)|test -e /root/berth-outside-marker && ! touch /root/.probe 2>/dev/null",
            "private /tmp (PrivateTmp)|test ! -e /tmp/berth-outside-marker && touch /tmp/inside",
            "no new privileges (NoNewPrivileges)|grep -qE 'NoNewPrivs:[[:space:]]+1' /proc/self/status",
            "kernel tunables read-only (ProtectKernelTunables)|! sh -c 'echo 0 > /proc/sys/kernel/sysrq' 2>/dev/null",
            "cgroups read-only (ProtectControlGroups)|! mkdir /sys/fs/cgroup/berth-probe 2>/dev/null",
            // What berth does for x-berth.front, as NetnsFrontRules runs it: a nat table into a front's network namespace.
            "nsenter + iptables-restore into the network namespace of a front (RestrictNamespaces=net, CAP_SYS_ADMIN, CAP_NET_ADMIN, AF_NETLINK)|" +
                "printf '*nat\\n:POSTROUTING ACCEPT [0:0]\\n-A POSTROUTING -m conntrack --ctstate DNAT -j MASQUERADE\\nCOMMIT\\n' > /tmp/nat && " +
                $"nsenter --net=/proc/{frontPid}/ns/net -- iptables-restore -w 5 < /tmp/nat && nsenter --net=/proc/{frontPid}/ns/net -- iptables -t nat -S POSTROUTING | grep -q MASQUERADE",
            "a private directory of a container user in the live directory (CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE)|ls /var/lib/berth/repo/data/db | grep -q PG_VERSION && rm -r /var/lib/berth/repo/data",
            "capabilities bounded (CapabilityBoundingSet)|bounding=$(awk '/^CapBnd/ { print $2 }' /proc/self/status) && [ $(( 0x$bounding & ~0x" + BoundingSetMask + " )) -eq 0 ]",
            "no other namespaces (RestrictNamespaces=net)|! unshare --mount true 2>/dev/null && ! unshare --uts true 2>/dev/null",
            "no disks or hardware (PrivateDevices)|test -c /dev/null && test -c /dev/urandom && test -z \"$(find /dev -type b)\" && ! test -e /dev/mem",
            "resource calls refused (SystemCallFilter=~@resources)|! renice -n 1 -p $$ >/dev/null 2>&1",
            "new files private (UMask=0077)|test \"$(umask)\" = 0077",
        ];
        var script = "fail=0\n" + string.Concat(checks.Select(check =>
        {
            var (what, command) = (check[..check.IndexOf('|', StringComparison.Ordinal)], check[(check.IndexOf('|', StringComparison.Ordinal) + 1)..]);
            return $"if {command}; then echo 'ok: {what}'; else echo 'FAILED: {what}'; fail=1; fi\n";
        })) + "exit $fail\n";
        var scriptFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(scriptFile, script);
            await container.CopyInAsync(scriptFile, ProbeScript);
        }
        finally
        {
            File.Delete(scriptFile);
        }

        var arguments = string.Join(' ', properties.Select(property => $"-p '{property}'"));
        var result = await container.ExecAsync($"systemd-run --wait --pipe --quiet --collect {arguments} sh {ProbeScript}");
        output.WriteLine(result.ToString());
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(checks.Length, result.Stdout.Split('\n').Count(line => line.StartsWith("ok: ", StringComparison.Ordinal)));
    }
}
