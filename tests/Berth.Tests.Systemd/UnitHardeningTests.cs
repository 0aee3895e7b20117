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
        Assert.Matches(@"NoNewPrivs:\s+1", await container.CheckedAsync($"cat /proc/{pid}/status"));
        await container.CheckedAsync($"nsenter -t {pid} -m sh -c '! touch /usr/.berth-probe 2>/dev/null && ! touch /etc/berth/.berth-probe 2>/dev/null && touch /var/lib/berth/.berth-probe && rm /var/lib/berth/.berth-probe && test -S /run/docker.sock'");
    }

    [Fact]
    public async Task Hardening_SameSandbox_ReachesDockerStateAndGit()
    {
        var deb = await DebPackages.CurrentAsync();
        await using var container = await SystemdContainer.StartAsync();
        await BerthPackage.InstallAsync(container, deb);
        await container.CheckedAsync("touch /tmp/berth-outside-marker");

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
            "state directory writable (StateDirectory)|touch /var/lib/berth/.probe && rm /var/lib/berth/.probe",
            "config readable (ConfigurationDirectory)|test -r /etc/berth/berth.yaml",
            "config not writable (ReadOnlyPaths over ConfigurationDirectory)|! touch /etc/berth/.probe 2>/dev/null",
            "/usr not writable (ProtectSystem=strict)|! touch /usr/lib/.probe 2>/dev/null",
            "/root readable, not writable (ProtectHome=read-only)|test -r /root && ! touch /root/.probe 2>/dev/null",
            "private /tmp (PrivateTmp)|test ! -e /tmp/berth-outside-marker && touch /tmp/inside",
            "no new privileges (NoNewPrivileges)|grep -qE 'NoNewPrivs:[[:space:]]+1' /proc/self/status",
            "kernel tunables read-only (ProtectKernelTunables)|! sh -c 'echo 0 > /proc/sys/kernel/sysrq' 2>/dev/null",
            "cgroups read-only (ProtectControlGroups)|! mkdir /sys/fs/cgroup/berth-probe 2>/dev/null",
            // What berth does for x-berth.front: a nat table into another network namespace.
            "iptables-restore in another network namespace (RestrictAddressFamilies AF_NETLINK)|printf '*nat\\n:POSTROUTING ACCEPT [0:0]\\n-A POSTROUTING -m conntrack --ctstate DNAT -j MASQUERADE\\nCOMMIT\\n' > /tmp/nat && unshare --net sh -c 'iptables-restore < /tmp/nat'",
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
            await container.CopyInAsync(scriptFile, "/root/sandbox-probe.sh");
        }
        finally
        {
            File.Delete(scriptFile);
        }

        var arguments = string.Join(' ', properties.Select(property => $"-p '{property}'"));
        var result = await container.ExecAsync($"systemd-run --wait --pipe --quiet --collect {arguments} sh /root/sandbox-probe.sh");
        output.WriteLine(result.ToString());
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(checks.Length, result.Stdout.Split('\n').Count(line => line.StartsWith("ok: ", StringComparison.Ordinal)));
    }
}
