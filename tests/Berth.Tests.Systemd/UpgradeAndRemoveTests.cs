using Berth.Tests.Systemd.Infrastructure;

namespace Berth.Tests.Systemd;

/// <summary>The package's life after install: upgrade keeps config and state and restarts berth; remove keeps them; purge removes state.</summary>
public sealed class UpgradeAndRemoveTests
{
    private const string StateMarker = SystemdContainer.StateDir + "/test-marker";

    [Fact]
    public async Task Upgrade_NewerBuild_KeepsConfigAndStateAndRestarts()
    {
        var current = await DebPackages.CurrentAsync();
        var newer = await DebPackages.UpgradeAsync();
        var (container, _) = await BerthPackage.RunningAsync(current);
        await using var _container = container;
        await container.CheckedAsync($"echo {container.ScopeId} > {StateMarker}");
        var configBefore = await container.CheckedAsync($"sha256sum {SystemdContainer.ConfigFile}");
        var pidBefore = await BerthPackage.MainPidAsync(container);

        await BerthPackage.InstallAsync(container, newer);

        Assert.Equal(DebPackages.UpgradeVersion, (await container.CheckedAsync("dpkg-query -W -f='${Version}' berth")).Trim());
        Assert.StartsWith(DebPackages.UpgradeVersion, (await container.CheckedAsync("berth --version")).Trim(), StringComparison.Ordinal);
        // The edited conffile is kept without a prompt (the shipped one did not change) ...
        Assert.Equal(configBefore, await container.CheckedAsync($"sha256sum {SystemdContainer.ConfigFile}"));
        // ... and so is the state.
        Assert.Equal(container.ScopeId, (await container.CheckedAsync($"cat {StateMarker}")).Trim());
        // postinst restarted the running berth: a new process of the new version, active again, still enabled.
        await BerthPackage.WaitActiveRunningAsync(container, notPid: pidBefore);
        var newPid = await BerthPackage.MainPidAsync(container);
        Assert.Contains("/usr/lib/berth/berth", await container.CheckedAsync($"readlink /proc/{newPid}/exe"), StringComparison.Ordinal);
        Assert.Equal("enabled", (await container.ExecAsync("systemctl is-enabled berth")).Stdout.Trim());
    }

    [Fact]
    public async Task RemoveThenPurge_Installed_RemoveKeepsConfigAndStatePurgeDeletesThem()
    {
        var current = await DebPackages.CurrentAsync();
        var (container, _) = await BerthPackage.RunningAsync(current);
        await using var _container = container;
        await container.CheckedAsync($"echo {container.ScopeId} > {StateMarker}");

        await container.CheckedAsync("DEBIAN_FRONTEND=noninteractive apt remove --yes berth");

        Assert.Equal("inactive", (await container.ExecAsync("systemctl is-active berth")).Stdout.Trim());
        Assert.False((await container.ExecAsync("test -e /usr/bin/berth")).Succeeded, "the binary is still there after remove");
        Assert.Contains($"host: {container.ScopeId}", await container.CheckedAsync($"cat {SystemdContainer.ConfigFile}"), StringComparison.Ordinal);
        Assert.Equal(container.ScopeId, (await container.CheckedAsync($"cat {StateMarker}")).Trim());

        // Reinstalling finds the config, the state, and berth enabled again as before the remove.
        await BerthPackage.InstallAsync(container, current);
        Assert.Equal("enabled", (await container.ExecAsync("systemctl is-enabled berth")).Stdout.Trim());
        Assert.Contains($"host: {container.ScopeId}", await container.CheckedAsync($"cat {SystemdContainer.ConfigFile}"), StringComparison.Ordinal);

        await container.CheckedAsync("DEBIAN_FRONTEND=noninteractive apt purge --yes berth");

        Assert.False((await container.ExecAsync($"test -e {SystemdContainer.StateDir}")).Succeeded, "purge left /var/lib/berth");
        Assert.False((await container.ExecAsync($"test -e {SystemdContainer.ConfigFile}")).Succeeded, "purge left the config file");
        Assert.Equal("", (await container.ExecAsync("ls /etc/systemd/system/multi-user.target.wants/ | grep berth")).Stdout.Trim());
    }
}
