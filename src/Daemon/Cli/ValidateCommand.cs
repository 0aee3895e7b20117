using System.Collections.Immutable;
using System.CommandLine;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Daemon.Cli;

/// <summary>
/// `berth validate [--repo DIR] [--host NAME] [--host-env-file FILE]... [--policy FILE]`: loads the repository for
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

    private static readonly Option<string?> Policy = PolicyOption.Create();
    private static readonly Option<string?> AgeKey = AgeKeyOption.Create();

    public static Command Build()
    {
        var command = new Command("validate", "Check a desired-state repository and report every error with file:line:column");
        command.Options.Add(Repo);
        command.Options.Add(Host);
        command.Options.Add(HostEnvFiles);
        command.Options.Add(Policy);
        command.Options.Add(AgeKey);
        command.SetAction(parseResult =>
        {
            var stderr = parseResult.InvocationConfiguration.Error;
            var (ageKey, problem) = AgeKeyOption.Resolve(parseResult, AgeKey);
            if (problem is not null)
            {
                stderr.WriteLine($"berth validate: {problem}");
                return ExitCodes.Error;
            }

            if (!PolicyOption.Load(parseResult.GetValue(Policy), "validate", stderr, out var policy))
            {
                return ExitCodes.Error;
            }

            return Run(
                parseResult.GetValue(Repo) ?? ".",
                parseResult.GetValue(Host),
                new SpecLoadOptions
                {
                    HostEnvFiles = parseResult.GetValue(HostEnvFiles) ?? [],
                    Policy = policy,
                    AgeKey = ageKey,
                    // Validation compares no hashes: a key of this process only is enough.
                    FileSources = new Reconciler.Secrets.Files.FileSourceOptions(
                        Path.GetFullPath(parseResult.GetValue(GlobalOptions.HostSecretsDir) ?? Reconciler.Secrets.Files.FileSourceOptions.DefaultHostDirectory),
                        Reconciler.Secrets.Files.ContentKeyring.Ephemeral()),
                },
                parseResult.InvocationConfiguration.Output,
                stderr);
        });
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

        // Errors per host: the same Compose error shows up once per host that runs the stack.
        var errorsByHost = new List<(string Host, ImmutableArray<SpecError> Errors)>();
        var summaries = new List<string>();
        var inventoryErrors = ImmutableArray<SpecError>.Empty;
        if (host is not null)
        {
            errorsByHost.Add((host, ValidateHost(repositoryDirectory, host, options, summaries, hostLabel: $"host {host}")));
        }
        else
        {
            var inventory = SpecLoader.LoadInventory(repositoryDirectory, options);
            inventoryErrors = inventory.Errors;
            if (!inventory.HasInventory)
            {
                // A bare Compose project runs on every host: validate it as this machine would load it.
                errorsByHost.Add((Environment.MachineName, ValidateHost(repositoryDirectory, Environment.MachineName, options, summaries, hostLabel: "every host (no berth.yaml)")));
            }
            else
            {
                // Even with inventory errors: every host's Compose errors are reported in the same run.
                foreach (var inventoryHost in inventory.Hosts)
                {
                    errorsByHost.Add((inventoryHost, ValidateHost(repositoryDirectory, inventoryHost, options, summaries, hostLabel: $"host {inventoryHost}")));
                }

                if (inventory.Hosts.IsEmpty)
                {
                    summaries.Add("berth.yaml names no hosts");
                }
            }
        }

        var lines = ErrorLines(inventoryErrors, errorsByHost, hostCount: host is null ? errorsByHost.Count : 1);
        if (lines.Count > 0)
        {
            foreach (var line in lines)
            {
                stderr.WriteLine(line);
            }

            stderr.WriteLine(lines.Count == 1 ? "1 error" : $"{lines.Count} errors");
            return ExitCodes.Error;
        }

        foreach (var summary in summaries)
        {
            stdout.WriteLine(summary);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Each distinct error once, sorted by place. An error that only some hosts have (a variable one
    /// host lacks, say) names those hosts, so the reader knows where to look.
    /// </summary>
    private static List<string> ErrorLines(ImmutableArray<SpecError> inventoryErrors, List<(string Host, ImmutableArray<SpecError> Errors)> errorsByHost, int hostCount)
    {
        var hostsByError = new Dictionary<SpecError, SortedSet<string>>();
        foreach (var error in inventoryErrors)
        {
            hostsByError.TryAdd(error, new SortedSet<string>(StringComparer.Ordinal));
        }

        foreach (var (hostName, errors) in errorsByHost)
        {
            foreach (var error in errors)
            {
                if (!hostsByError.TryGetValue(error, out var hosts))
                {
                    hostsByError[error] = hosts = new SortedSet<string>(StringComparer.Ordinal);
                }

                hosts.Add(hostName);
            }
        }

        return [.. hostsByError
            .OrderBy(pair => pair.Key.File, StringComparer.Ordinal).ThenBy(pair => pair.Key.Line).ThenBy(pair => pair.Key.Column).ThenBy(pair => pair.Key.Message, StringComparer.Ordinal)
            .Select(pair => pair.Value.Count > 0 && pair.Value.Count < hostCount
                ? $"{pair.Key} (on host {string.Join(", ", pair.Value)})"
                : pair.Key.ToString())];
    }

    private static ImmutableArray<SpecError> ValidateHost(string repositoryDirectory, string host, SpecLoadOptions options, List<string> summaries, string hostLabel)
    {
        var result = SpecLoader.LoadHost(repositoryDirectory, host, options);
        if (!result.HostInInventory)
        {
            summaries.Add($"{hostLabel}: not in the inventory, runs nothing");
        }
        else if (result.State is { } state)
        {
            summaries.Add($"{hostLabel}: {Summarise(state)}");
        }

        return result.Errors;
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
