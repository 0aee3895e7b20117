using Berth.Daemon.Cli;
using Berth.Reconciler.Faults;

// The `berth` binary: every subcommand is wired in BerthCli; this file only hands it the process.
// A mistyped fault-injection switch (docs/reliability.md, a testing aid) is refused before anything runs:
// a fault test must not pass because nothing was injected.
if (FaultInjection.ConfigurationError is { } faultSwitchError)
{
    await Console.Error.WriteLineAsync($"berth: {faultSwitchError}").ConfigureAwait(false);
    return ExitCodes.Error;
}

return await BerthCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
