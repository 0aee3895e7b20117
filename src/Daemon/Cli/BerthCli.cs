using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Berth.Daemon.Cli;

/// <summary>Builds the command tree. Each subcommand's behaviour lives in its own file.</summary>
internal static class BerthCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = Build();
        var parseResult = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await parseResult.InvokeAsync(invocation).ConfigureAwait(false);
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("berth: GitOps for Docker hosts. Converges the local Docker Engine to the stacks a git repository assigns to this host.");
        root.Options.Add(GlobalOptions.DockerHost);
        root.Options.Add(GlobalOptions.StateDir);
        root.Options.Add(GlobalOptions.SecretFilesDir);
        root.Options.Add(GlobalOptions.RegistryConfig);
        root.Options.Add(GlobalOptions.HostSecretsDir);
        // The default --version prints the entry assembly's version (the test host's, in tests): print berth's.
        foreach (var versionOption in root.Options.OfType<VersionOption>())
        {
            versionOption.Action = new PrintVersionAction();
        }

        root.Subcommands.Add(ValidateCommand.Build());
        root.Subcommands.Add(PlanCommand.Build());
        root.Subcommands.Add(ApplyCommand.Build());
        root.Subcommands.Add(DaemonCommand.Build());
        root.Subcommands.Add(StatusCommand.Build());
        root.Subcommands.Add(SyncCommand.Build());
        root.Subcommands.Add(GcCommand.Build());
        return root;
    }

    public static string Version =>
        typeof(BerthCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private sealed class PrintVersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Success;
        }
    }
}
