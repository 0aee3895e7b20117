using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// An in-memory engine for the reconciler's decisions only (what is recorded, what is held, how a pass
/// ends). Behaviour against the real engine is tested in Berth.Tests.Docker; this fake knows just
/// enough: containers by name, images present, foreign names, and failures the test injects.
/// </summary>
internal sealed class FakeContainerEngine : IContainerEngine
{
    private readonly Dictionary<string, ObservedContainer> containers = new(StringComparer.Ordinal);

    // The host identity each container was created for (by id): observe lists only the asked host's
    // containers as owned and the others' names as foreign, as the engine's label filter does.
    private readonly Dictionary<string, string> hostOf = new(StringComparer.Ordinal);

    // What a container's command makes it do when it starts: `sh -c "exit N"` exits with N, as in the engine.
    private readonly Dictionary<string, int> exitCodeOnStart = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> healthOutput = new(StringComparer.Ordinal);
    private int nextId;

    /// <summary>Images present locally (reference -> id). Pulls add to it.</summary>
    public Dictionary<string, string> Images { get; } = new(StringComparer.Ordinal) { [Shared.TestSpecs.Image] = "sha256:image1" };

    /// <summary>What a pull of a reference yields (reference -> id); any other reference pulls "sha256:pulled".</summary>
    public Dictionary<string, string> RegistryImages { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ForeignContainerNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Thrown by the next container create (then cleared), e.g. an engine 503.</summary>
    public Exception? FailNextCreate { get; set; }

    /// <summary>Thrown by the next container start (then cleared).</summary>
    public Exception? FailNextStart { get; set; }

    /// <summary>Thrown by every pull while set.</summary>
    public Exception? FailPulls { get; set; }

    /// <summary>Awaited by every pull before it completes (the download), e.g. to hold pulls open and count them.</summary>
    public Func<string, CancellationToken, Task>? PullDownload { get; set; }

    /// <summary>Services ("stack/service") whose containers exit with code 1 as soon as they start.</summary>
    public HashSet<string> ExitOnStart { get; } = new(StringComparer.Ordinal);

    /// <summary>Anonymous volume paths a container of this config hash gets at create (its image's VOLUME, a volume without a source).</summary>
    public Dictionary<string, string[]> AnonymousVolumesByConfig { get; } = new(StringComparer.Ordinal);

    /// <summary>Containers (by the name they are created under) that exit with code 1 as soon as they start.</summary>
    public HashSet<string> ExitOnStartNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Thrown by the next inspects, one each, in order.</summary>
    public Queue<Exception> InspectFailures { get; } = new();

    public int InspectCalls { get; private set; }

    public int CreateCalls { get; private set; }

    /// <summary>Services whose containers were created (each create adds one entry).</summary>
    public List<string> Created { get; } = [];

    /// <summary>What the next observes do, one each, in order: null answers, an exception is thrown.</summary>
    public Queue<Exception?> ObserveFailures { get; } = new();

    /// <summary>Observations made (each one the engine's lists).</summary>
    public int ObserveCalls { get; private set; }

    /// <summary>Runs inside each observation, while the lists are being made (an event arriving meanwhile).</summary>
    public Action? DuringObserve { get; set; }

    public Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken)
    {
        ObserveCalls++;
        DuringObserve?.Invoke();
        return ObserveLists(hostIdentity);
    }

    private Task<ObservedState> ObserveLists(string hostIdentity) =>
        ObserveFailures.TryDequeue(out var failure) && failure is not null ? Task.FromException<ObservedState>(failure) : Task.FromResult(new ObservedState(
            [.. containers.Values.Where(container => hostOf[container.Id] == hostIdentity).OrderBy(container => container.Name, StringComparer.Ordinal)],
            [],
            [],
            [.. ForeignContainerNames.Concat(containers.Values.Where(container => hostOf[container.Id] != hostIdentity).Select(container => container.Name)).Order(StringComparer.Ordinal)],
            [],
            [],
            Images.ToImmutableDictionary(StringComparer.Ordinal))
        {
            Images = [.. Images.GroupBy(pair => pair.Value, StringComparer.Ordinal).OrderBy(group => group.Key, StringComparer.Ordinal)
                .Select(group => new Berth.Reconciler.Images.ObservedImage(group.Key, [.. group.Select(pair => pair.Key).Order(StringComparer.Ordinal)], []))],
            ImagesInUse = [.. containers.Values.Select(container => container.ImageId)],
        });

    public async Task PullImageAsync(string imageReference, CancellationToken cancellationToken)
    {
        if (FailPulls is { } failure)
        {
            throw failure;
        }

        if (PullDownload is { } download)
        {
            await download(imageReference, cancellationToken).ConfigureAwait(false);
        }

        lock (Images)
        {
            Images[imageReference] = RegistryImages.GetValueOrDefault(imageReference, "sha256:pulled");
        }
    }

    /// <summary>Fronts are exercised against the real engine only (Berth.Tests.Docker, FrontTests).</summary>
    public Task<string> CreateFrontAsync(Berth.Reconciler.Fronts.FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the fake engine has no fronts");

    public Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken)
    {
        CreateCalls++;
        if (FailNextCreate is { } failure)
        {
            FailNextCreate = null;
            throw failure;
        }

        if (!Images.TryGetValue(request.Service.Container.Image, out var imageId))
        {
            throw EngineErrors.Answer(System.Net.HttpStatusCode.NotFound, $"No such image: {request.Service.Container.Image}");
        }

        var id = $"id-{++nextId}";
        containers[request.Name] = new ObservedContainer(id, request.Name, request.Service.Stack, request.Service.Name, request.Replica,
            request.Service.ConfigHash, request.Owner.Revision, imageId, ContainerRunState.Created, ContainerHealth.None, null, request.ReplacementOf);
        if (AnonymousVolumesByConfig.TryGetValue(request.Service.ConfigHash, out var anonymous))
        {
            containers[request.Name] = containers[request.Name] with { AnonymousVolumePaths = [.. anonymous] };
        }

        hostOf[id] = request.Owner.HostIdentity;
        if (request.Service.Container.Command is ["sh", "-c", var script] && script.StartsWith("exit ", StringComparison.Ordinal)
            && int.TryParse(script["exit ".Length..], System.Globalization.CultureInfo.InvariantCulture, out var exitCode))
        {
            exitCodeOnStart[id] = exitCode;
        }

        Created.Add(request.Service.QualifiedName);
        return Task.FromResult(id);
    }

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        if (FailNextStart is { } failure)
        {
            FailNextStart = null;
            throw failure;
        }

        var container = Find(containerId);
        containers[container.Name] = exitCodeOnStart.TryGetValue(container.Id, out var exitCode)
            ? container with { State = ContainerRunState.Exited, ExitCode = exitCode }
            : ExitOnStart.Contains(container.QualifiedService) || ExitOnStartNames.Contains(container.Name)
            ? container with { State = ContainerRunState.Exited, ExitCode = 1 }
            : container with { State = ContainerRunState.Running, ExitCode = null };
        return Task.CompletedTask;
    }

    /// <summary>What the container's health check reports from now on (and its last output, for evidence).</summary>
    public void SetHealth(string name, ContainerHealth health, string? lastOutput = null)
    {
        containers[name] = containers[name] with { Health = health };
        healthOutput[name] = lastOutput;
    }

    /// <summary>What `docker stop` by hand does.</summary>
    public void StopByHand(string name) => containers[name] = containers[name] with { State = ContainerRunState.Exited, ExitCode = 137 };

    public bool IsRunning(string name) => containers.TryGetValue(name, out var container) && container.State == ContainerRunState.Running;

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        containers[container.Name] = container with { State = ContainerRunState.Exited, ExitCode = 0 };
        return Task.CompletedTask;
    }

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        containers.Remove(Find(containerId).Name);
        return Task.CompletedTask;
    }

    public Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        containers.Remove(container.Name);
        containers[newName] = container with { Name = newName };
        return Task.CompletedTask;
    }

    public Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        InspectCalls++;
        if (InspectFailures.TryDequeue(out var failure))
        {
            throw failure;
        }

        var container = Find(containerId);
        return Task.FromResult(new ContainerSnapshot(container.Id, container.Name, container.State, container.Health, container.ExitCode ?? 0, 0, healthOutput.GetValueOrDefault(container.Name), 0, null, [])
        {
            AnonymousVolumePaths = container.AnonymousVolumePaths,
        });
    }

    public Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken) => Task.FromResult("");

    public Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Image ids removed by <see cref="RemoveImageAsync"/>, in order.</summary>
    public List<string> RemovedImages { get; } = [];

    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken)
    {
        RemovedImages.Add(imageId);
        foreach (var reference in Images.Where(pair => pair.Value == imageId).Select(pair => pair.Key).ToList())
        {
            Images.Remove(reference);
        }

        return Task.CompletedTask;
    }

    public Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken) => Task.CompletedTask;

    private ObservedContainer Find(string idOrName) =>
        containers.Values.FirstOrDefault(container => container.Id == idOrName || container.Name == idOrName)
        ?? throw EngineErrors.Answer(System.Net.HttpStatusCode.NotFound, $"No such container: {idOrName}");
}
