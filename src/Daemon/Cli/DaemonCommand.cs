using System.CommandLine;
using Berth.Daemon.Configuration;
using Berth.Daemon.Systemd;
using Berth.Reconciler.State;

namespace Berth.Daemon.Cli;

/// <summary>`berth daemon`: validate the config (every error at once, exit 1), then run until SIGTERM.</summary>
internal static class DaemonCommand
{
    public static readonly Option<string> ConfigOption = new("--config")
    {
        Description = $"The daemon's config file (default: {DaemonConfig.DefaultPath})",
        DefaultValueFactory = _ => DaemonConfig.DefaultPath,
    };

    public static Command Build()
    {
        var command = new Command("daemon", "Run the reconcile loop (what the systemd unit starts)");
        command.Options.Add(ConfigOption);
        // A synchronous action on purpose: for asynchronous actions System.CommandLine handles SIGTERM
        // itself and returns 143 at once, cutting the host's graceful stop short. The host's own
        // SIGTERM/SIGINT handling (bounded by reconcile.shutdownTimeout) must be the only one.
        command.SetAction(parseResult => RunAsync(parseResult).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult)
    {
        var stderr = parseResult.InvocationConfiguration.Error;
        var loaded = ConfigLoader.LoadFile(parseResult.GetValue(ConfigOption)!, Environment.MachineName);
        if (!loaded.Succeeded)
        {
            foreach (var error in loaded.Errors)
            {
                await stderr.WriteLineAsync(error.ToString()).ConfigureAwait(false);
            }

            await stderr.WriteLineAsync($"berth daemon: {loaded.Errors.Count} error(s) in the configuration; not starting").ConfigureAwait(false);
            return ExitCodes.Error;
        }

        // The global options override the file, as everywhere in berth.
        var config = loaded.Config!;
        if (parseResult.GetValue(GlobalOptions.DockerHost) is { } dockerHost)
        {
            config = config with { DockerHost = dockerHost };
        }

        if (parseResult.GetValue(GlobalOptions.StateDir) is { } stateDir)
        {
            config = config with { StateDir = Path.GetFullPath(stateDir) };
        }

        try
        {
            // Before anything writes there (git clone, exported trees, the state file): owner-only.
            StateStore.EnsureDirectory(config.StateDir);

            // The daemon owns its state directory while it runs (a scripted test pass touches none of it).
            var environment = SystemdIntegration.CurrentEnvironment();
            using var stateLock = environment.TryGetValue(Passes.ScriptedPass.EnvironmentVariable, out var script) && !string.IsNullOrEmpty(script)
                ? null
                : StateDirectoryLock.Acquire(config.StateDir, "berth daemon");
            await using var app = DaemonHost.Build(config, environment);
            await app.RunAsync().ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Typically "address already in use" for `listen`, or a state directory berth may not create.
            await stderr.WriteLineAsync($"berth daemon: cannot start: {exception.Message}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
    }
}
