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
        Reconciler = new HostReconciler(new ResilientContainerEngine(Engine, TimeProvider.System), new StateStore(StateDirectory), TimeProvider.System);
    }

    public string StateDirectory { get; }

    public Uri DockerEndpoint { get; }

    public DockerContainerEngine Engine { get; }

    public HostReconciler Reconciler { get; }

    public async Task<LoadedDesiredState> LoadAsync(SourceOptions source, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var origin = source.Origin(parseResult, StateDirectory);
        using var gitSource = origin is DesiredStateOrigin.Git git
            ? new GitSource(git.Options, TimeProvider.System, NullLogger<GitSource>.Instance)
            : null;
        return await DesiredStateSource.LoadAsync(origin, source.HostIdentity(parseResult), source.LoadOptions(parseResult), gitSource,
            StateDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Prints why there is no desired state; returns false when there is none.</summary>
    public static bool ReportLoadFailure(string command, LoadedDesiredState loaded, TextWriter stderr)
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

        return loaded.State is not null;
    }

    /// <summary>An engine that does not answer is a clear one-line error, not a stack trace.</summary>
    public string EngineUnreachable(Exception exception) =>
        $"cannot reach the Docker Engine at {DockerEndpoint}: {exception.GetBaseException().Message}";

    public void Dispose() => dockerClient.Dispose();
}
