using Berth.Reconciler.Engine;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// A host identity of its own on the real engine: the scope id is both berth's host identity and the
/// stack-name prefix, so tests running in parallel never see each other's resources.
/// </summary>
public sealed class ReconcileHarness : IAsyncDisposable
{
    private readonly string stateDirectory = Path.Combine(Path.GetTempPath(), "berth-test-state-" + Guid.NewGuid().ToString("N"));

    /// <param name="mountedFiles">Where the engine writes secrets and configs; null: none (as before they existed).</param>
    /// <param name="registryCredentials">What pulls and registry checks authenticate with; null: anonymous.</param>
    public ReconcileHarness(Berth.Reconciler.Secrets.Files.MountedFileStore? mountedFiles = null, Berth.Reconciler.Images.IRegistryCredentials? registryCredentials = null)
    {
        Scope = new DockerTestScope();
        var credentials = registryCredentials ?? Berth.Reconciler.Images.NoRegistryCredentials.Instance;
        Engine = new DockerContainerEngine(Scope.Client) { MountedFiles = mountedFiles, Credentials = credentials };
        StateStore = new StateStore(stateDirectory);
        // Registry checks as the daemon makes them; only services with pull_policy always or periodic cause any.
        var tagChecker = new Berth.Reconciler.Images.TagChecker(
            new Berth.Reconciler.Images.RegistryClient(credentials, new Berth.Reconciler.Images.RegistryClientOptions()), TimeProvider.System);
        // The health gates learn from the engine's events, as in the daemon (own client: no request timeout).
        Events = DockerEngineEvents.Connect(null);
        Reconciler = new HostReconciler(Engine, StateStore, TimeProvider.System, tagChecker: tagChecker, events: Events);
    }

    public DockerEngineEvents Events { get; }

    public DockerTestScope Scope { get; }

    public string Host => Scope.ScopeId;

    /// <summary>A stack name unique to this test.</summary>
    public string StackName => Scope.ScopeId;

    public IDockerClient Client => Scope.Client;

    public DockerContainerEngine Engine { get; }

    public StateStore StateStore { get; }

    public HostReconciler Reconciler { get; }

    public List<ProgressEvent> Progress { get; } = [];

    public async Task<ApplyResult> ApplyAsync(DesiredState desired, ApplyOptions? options = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var revision = DesiredStateRevision.Compute(desired);
        var result = await Reconciler.ApplyAsync(desired, revision, options ?? new ApplyOptions { DrainPeriod = TimeSpan.FromMilliseconds(200) },
            progressEvent => { lock (Progress) { Progress.Add(progressEvent); } }, timeout.Token);
        if (Environment.GetEnvironmentVariable("BERTH_TEST_DEBUG") == "1")
        {
            Console.WriteLine($"DEBUG {result.Outcome}: {result.Summary}\n{result.Plan}\n{string.Join("\n", result.Report?.Services.Select(service => service.ToString()) ?? [])}");
        }

        return result;
    }

    public async Task<ApplyResult> ApplyConvergedAsync(DesiredState desired)
    {
        var result = await ApplyAsync(desired);
        Assert.True(result.Outcome is ApplyOutcome.Applied or ApplyOutcome.UpToDate,
            $"apply did not converge: {result.Outcome}: {result.Summary}\n{result.Plan}");
        return result;
    }

    public Task<Plan> PlanAsync(DesiredState desired, string? revision = null) =>
        Reconciler.PlanAsync(desired, DriftMode.Repair, CancellationToken.None, revision);

    public async Task<ContainerInspectResponse> InspectAsync(string containerName) =>
        await Client.Containers.InspectContainerAsync(containerName);

    /// <summary>Names of berth's containers for this host identity, sorted.</summary>
    public async Task<List<string>> ManagedContainerNamesAsync()
    {
        var containers = await Client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = BerthLabels.OwnedBy(Host) });
        return [.. containers.Select(container => container.Names[0].TrimStart('/')).Order(StringComparer.Ordinal)];
    }

    /// <summary>Name -> id of berth's containers for this host identity: equal before and after means nothing was touched.</summary>
    public async Task<Dictionary<string, string>> ContainerIdsAsync()
    {
        var ids = new Dictionary<string, string>();
        foreach (var name in await ManagedContainerNamesAsync())
        {
            ids[name] = (await InspectAsync(name)).ID;
        }

        return ids;
    }

    /// <summary>Runs a command in a running container and returns its stdout.</summary>
    public async Task<string> ExecAsync(string containerName, params string[] command)
    {
        var exec = await Client.Exec.CreateContainerExecAsync(containerName, new ContainerExecCreateParameters
        {
            Cmd = command,
            AttachStdout = true,
            AttachStderr = true,
        });
        using var stream = await Client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), CancellationToken.None);
        var (stdout, _) = await stream.ReadOutputToEndAsync(CancellationToken.None);
        return stdout;
    }

    public async ValueTask DisposeAsync()
    {
        await Scope.DisposeAsync();
        Events.Dispose();
        if (Directory.Exists(stateDirectory))
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }
}
