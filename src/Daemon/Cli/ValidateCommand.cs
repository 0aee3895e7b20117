using System.CommandLine;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Daemon.Cli;

/// <summary>
/// `berth validate [--repo DIR] [--host NAME] [--host-env-file FILE]...`: loads the repository for
/// one host or for every host of the inventory and reports every error as `file:line:column: message`.
/// </summary>
internal static class ValidateCommand
{
    private static readonly Option<string> Repo = new("--repo")
    {
        Description = "The desired-state repository (default: the current directory)",
        DefaultValueFactory = _ => ".",
    };

    private static readonly Option<string?> Host = new("--host")
    {
        Description = "Validate what this host runs (default: every host of berth.yaml)",
    };

    private static readonly Option<string[]> HostEnvFiles = new("--host-env-file")
    {
        Description = "A host-local env file with secret variables (repeatable; values are never printed)",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Build()
    {
        var command = new Command("validate", "Check a desired-state repository and report every error with file:line:column");
        command.Options.Add(Repo);
        command.Options.Add(Host);
        command.Options.Add(HostEnvFiles);
        command.SetAction(parseResult => Run(
            parseResult.GetValue(Repo) ?? ".",
            parseResult.GetValue(Host),
            new SpecLoadOptions { HostEnvFiles = parseResult.GetValue(HostEnvFiles) ?? [] },
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));
        return command;
    }

    internal static int Run(string repositoryDirectory, string? host, SpecLoadOptions options, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return Validate(repositoryDirectory, host, options, stdout, stderr);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"berth validate: cannot read the repository: {exception.Message}");
            return ExitCodes.Error;
        }
    }

    private static int Validate(string repositoryDirectory, string? host, SpecLoadOptions options, TextWriter stdout, TextWriter stderr)
    {
        if (!Directory.Exists(repositoryDirectory))
        {
            stderr.WriteLine($"berth validate: repository directory '{repositoryDirectory}' does not exist");
            return ExitCodes.Error;
        }

        var errors = new List<SpecError>();
        var summaries = new List<string>();
        if (host is not null)
        {
            ValidateHost(repositoryDirectory, host, options, errors, summaries, hostLabel: $"host {host}");
        }
        else
        {
            var inventory = SpecLoader.LoadInventory(repositoryDirectory, options);
            errors.AddRange(inventory.Errors);
            if (!inventory.HasInventory)
            {
                // A bare Compose project runs on every host: validate it as this machine would load it.
                ValidateHost(repositoryDirectory, Environment.MachineName, options, errors, summaries, hostLabel: "every host (no berth.yaml)");
            }
            else
            {
                // Even with inventory errors: every host's Compose errors are reported in the same run.
                foreach (var inventoryHost in inventory.Hosts)
                {
                    ValidateHost(repositoryDirectory, inventoryHost, options, errors, summaries, hostLabel: $"host {inventoryHost}");
                }

                if (inventory.Hosts.IsEmpty)
                {
                    summaries.Add("berth.yaml names no hosts");
                }
            }
        }

        // The same Compose error shows up once per host that runs the stack: print it once.
        var distinct = errors.Distinct().OrderBy(error => error.File, StringComparer.Ordinal).ThenBy(error => error.Line).ThenBy(error => error.Column).ToList();
        if (distinct.Count > 0)
        {
            foreach (var error in distinct)
            {
                stderr.WriteLine(error.ToString());
            }

            stderr.WriteLine(distinct.Count == 1 ? "1 error" : $"{distinct.Count} errors");
            return ExitCodes.Error;
        }

        foreach (var summary in summaries)
        {
            stdout.WriteLine(summary);
        }

        return ExitCodes.Success;
    }

    private static void ValidateHost(string repositoryDirectory, string host, SpecLoadOptions options, List<SpecError> errors, List<string> summaries, string hostLabel)
    {
        var result = SpecLoader.LoadHost(repositoryDirectory, host, options);
        errors.AddRange(result.Errors);
        if (!result.HostInInventory)
        {
            summaries.Add($"{hostLabel}: not in the inventory, runs nothing");
        }
        else if (result.State is { } state)
        {
            summaries.Add($"{hostLabel}: {Summarise(state)}");
        }
    }

    /// <summary>"1 stack (shop), 3 services, 4 replicas".</summary>
    internal static string Summarise(DesiredState state)
    {
        var stacks = state.Stacks.Length == 0 ? "0 stacks" : $"{Count(state.Stacks.Length, "stack")} ({string.Join(", ", state.Stacks.Select(stack => stack.Name))})";
        var services = state.AllServices.ToList();
        return $"{stacks}, {Count(services.Count, "service")}, {Count(services.Sum(service => service.Replicas), "replica")}";
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
