namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>
/// A fresh Debian 12 booted with systemd as PID 1 in a container (image from
/// scripts/build-systemd-image.sh, flags from ../shared/ENVIRONMENT.md), with the host's Docker socket
/// mounted and a desired-state repository served to it over the network by a git server on the machine. Everything it creates carries the test's scope id: the
/// container its label, the containers berth starts its host identity; disposal removes both, also
/// when the test failed.
/// </summary>
public sealed class SystemdContainer : IAsyncDisposable
{
    public const string Image = "berth-test/debian-systemd:12";
    public const string DockerCli = "/usr/bin/docker";
    public const string ScopeLabel = "berth.test.scope";
    public const string ConfigFile = "/etc/berth/berth.yaml";
    public const string StateDir = "/var/lib/berth";

    private static readonly TimeSpan DockerTimeout = TimeSpan.FromSeconds(120);

    private SystemdContainer(string scopeId, DesiredStateRepository repository)
    {
        ScopeId = scopeId;
        Name = "berth-systemd-" + scopeId;
        Repository = repository;
    }

    /// <summary>Unique per test: the container's label, and berth's host identity inside it.</summary>
    public string ScopeId { get; }

    public string Name { get; }

    public DesiredStateRepository Repository { get; }

    /// <summary>Starts the container and waits until systemd reports the system running.</summary>
    public static async Task<SystemdContainer> StartAsync()
    {
        var scopeId = "t" + Guid.NewGuid().ToString("N")[..12];
        var repository = await DesiredStateRepository.CreateAsync(scopeId);
        var container = new SystemdContainer(scopeId, repository);
        try
        {
            await DockerAsync(
                "run", "--detach", "--name", container.Name, "--hostname", scopeId,
                "--label", $"{ScopeLabel}={scopeId}",
                // systemd as PID 1 without --privileged (it fails on these machines): ENVIRONMENT.md.
                "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--cgroupns=host",
                // As root on a real host: berth programs fronts' rules (x-berth.front), which needs it.
                "--cap-add", "NET_ADMIN",
                "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
                "--volume", "/var/run/docker.sock:/var/run/docker.sock",
                // The git server on the machine, by name (see DesiredStateRepository): no repository is mounted.
                "--add-host", repository.AddHostOption,
                Image, "/lib/systemd/systemd");
            await Deadline.UntilAsync(async () =>
            {
                var state = await container.ExecAsync("systemctl is-system-running");
                var text = state.Stdout.Trim();
                // "degraded" is a container quirk (a unit that needs real hardware), not our concern here.
                return (text is "running" or "degraded" ? text : null, text + state.Stderr.Trim());
            }, "systemd to finish booting", TimeSpan.FromSeconds(60));
            return container;
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a shell command inside (as root); never throws for a non-zero exit.</summary>
    public Task<CommandResult> ExecAsync(string script, TimeSpan? timeout = null) =>
        Command.RunAsync(DockerCli, ["exec", Name, "sh", "-c", script], timeout ?? DockerTimeout);

    /// <summary>Runs a shell command inside and fails the test, with its output, when it exits non-zero.</summary>
    public async Task<string> CheckedAsync(string script, TimeSpan? timeout = null)
    {
        var result = await ExecAsync(script, timeout);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }

    public async Task CopyInAsync(string hostPath, string containerPath) =>
        await DockerAsync("cp", hostPath, $"{Name}:{containerPath}");

    /// <summary>One property of a unit, as `systemctl show -p NAME --value` prints it.</summary>
    public async Task<string> UnitPropertyAsync(string unit, string property) =>
        (await CheckedAsync($"systemctl show -p {property} --value {unit}")).Trim();

    /// <summary>The berth journal since boot, one message per line (what `journalctl -u berth` shows).</summary>
    public async Task<string> JournalAsync() =>
        (await ExecAsync("journalctl -u berth --no-pager -o short-iso")).Stdout;

    public async ValueTask DisposeAsync()
    {
        // The container first (its berth could still start containers), then what berth started for it.
        await Command.RunAsync(DockerCli, ["rm", "--force", "--volumes", Name], DockerTimeout);
        await RemoveByLabelAsync($"{ScopeLabel}={ScopeId}");
        await RemoveByLabelAsync($"{Berth.Reconciler.Engine.BerthLabels.Host}={ScopeId}");
        Repository.Dispose();
    }

    private static async Task RemoveByLabelAsync(string label)
    {
        var containers = await Command.RunAsync(DockerCli, ["ps", "--all", "--quiet", "--filter", $"label={label}"], DockerTimeout);
        foreach (var id in Lines(containers.Stdout))
        {
            await Command.RunAsync(DockerCli, ["rm", "--force", id], DockerTimeout);
        }

        var networks = await Command.RunAsync(DockerCli, ["network", "ls", "--quiet", "--filter", $"label={label}"], DockerTimeout);
        foreach (var id in Lines(networks.Stdout))
        {
            await Command.RunAsync(DockerCli, ["network", "rm", id], DockerTimeout);
        }

        var volumes = await Command.RunAsync(DockerCli, ["volume", "ls", "--quiet", "--filter", $"label={label}"], DockerTimeout);
        foreach (var name in Lines(volumes.Stdout))
        {
            await Command.RunAsync(DockerCli, ["volume", "rm", "--force", name], DockerTimeout);
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Task<CommandResult> DockerAsync(params string[] arguments) =>
        Command.CheckedAsync(DockerCli, arguments, DockerTimeout);
}
