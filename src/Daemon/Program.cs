using Berth.Daemon.Cli;

// The `berth` binary: every subcommand is wired in BerthCli; this file only hands it the process.
return await BerthCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
