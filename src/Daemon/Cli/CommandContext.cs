using System.CommandLine;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Git;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.State;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Daemon.Cli;

/// <summary>What `plan` and `apply` share: the engine client, the state store, loading the desired state.</summary>
internal sealed class CommandContext : IDisposable
{
    public const string DefaultStateDirectory = "/var/lib/berth";

    private readonly IDockerClient dockerClient;

    public CommandContext(ParseResult parseResult)
    {
        StateDirectory = parseResult.GetValue(GlobalOptions.StateDir) ?? DefaultStateDirectory;
        DockerEndpoint = DockerClientFactory.ResolveEndpoint(parseResult.GetValue(GlobalOptions.DockerHost));
        dockerClient = DockerClientFactory.Create(DockerEndpoint.ToString(), TimeSpan.FromSeconds(60));
        Engine = new DockerContainerEngine(dockerClient);
        Reconciler = new HostReconciler(Engine, new StateStore(StateDirectory), TimeProvider.System);
    }

    public string StateDirectory { get; }

    public Uri DockerEndpoint { get; }

    public DockerContainerEngine Engine { get; }

    public HostReconciler Reconciler { get; }

    /// <summary>
    /// Loads the desired state for the command's host, or prints why there is none and returns null:
    /// the source cannot be read, the repository is invalid, or the host is not in the inventory.
    /// </summary>
    public async Task<LoadedDesiredState?> LoadOrReportAsync(string command, SourceOptions source, ParseResult parseResult, TextWriter stderr, CancellationToken cancellationToken)
    {
        var origin = source.Origin(parseResult, StateDirectory);
        LoadedDesiredState loaded;
        try
        {
            if (origin is DesiredStateOrigin.Directory directory && !Directory.Exists(directory.Path))
            {
                stderr.WriteLine($"berth {command}: repository directory '{directory.Path}' does not exist (--repo)");
                return null;
            }

            if (origin is DesiredStateOrigin.Git)
            {
                // The clone and exported trees go under the state directory: create it owner-only first.
                StateStore.EnsureDirectory(StateDirectory);
            }

            using var gitSource = origin is DesiredStateOrigin.Git git
                ? new GitSource(git.Options, TimeProvider.System, NullLogger<GitSource>.Instance)
                : null;
            loaded = await DesiredStateSource.LoadAsync(origin, source.HostIdentity(parseResult), source.LoadOptions(parseResult), gitSource,
                StateDirectory, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A file that exists but cannot be read (permissions, a vanished directory): one line, no stack trace.
            stderr.WriteLine($"berth {command}: cannot read the repository: {exception.Message}");
            return null;
        }

        if (!ReportLoadFailure(command, loaded, stderr))
        {
            loaded.Dispose();
            return null;
        }

        return loaded;
    }

    /// <summary>Prints why there is no desired state to act on; returns false when there is none.</summary>
    private static bool ReportLoadFailure(string command, LoadedDesiredState loaded, TextWriter stderr)
    {
        if (loaded.SourceError is { } sourceError)
        {
            stderr.WriteLine($"berth {command}: cannot read the desired state: {sourceError.Message}");
            return false;
        }

        if (!loaded.SpecErrors.IsEmpty)
        {
            foreach (var error in loaded.SpecErrors)
            {
                stderr.WriteLine(error);
            }

            stderr.WriteLine($"berth {command}: the desired state is invalid ({loaded.SpecErrors.Length} error{(loaded.SpecErrors.Length == 1 ? "" : "s")}); nothing was changed");
            return false;
        }

        // Unlike `validate` (which lists what each host runs), plan and apply act on one host: a
        // host the inventory does not name is a typo or a hostname mismatch, not "no changes".
        if (loaded.HostNotInInventory is { } notInInventory)
        {
            stderr.WriteLine($"berth {command}: {notInInventory}");
            return false;
        }

        return loaded.State is not null;
    }

    /// <summary>An engine that does not answer is a clear one-line error, not a stack trace.</summary>
    public string EngineUnreachable(Exception exception) =>
        $"cannot reach the Docker Engine at {DockerEndpoint}: {exception.GetBaseException().Message}";

    public void Dispose() => dockerClient.Dispose();
}
