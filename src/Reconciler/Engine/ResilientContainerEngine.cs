using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;
using Polly;
using Polly.Retry;

namespace Berth.Reconciler.Engine;

/// <summary>
/// Retries the engine calls that are safe to repeat, a few times with exponential backoff and jitter,
/// and only on transient errors (<see cref="EngineErrors.IsTransient"/>), so a short engine hiccup or a
/// registry blip does not cost a pass. What still fails after that is reported as transient and the
/// daemon retries the whole pass with its own, longer backoff.
/// </summary>
/// <remarks>
/// Safe to repeat: reads (observe, inspect, logs), pull (the engine skips layers it has), start and stop
/// (the engine answers 304 when the container already is in that state, which Docker.DotNet does not
/// throw for) and volume create (the engine returns the existing volume of that name).
/// Not repeated here: container and network create, rename, remove, connect and disconnect. A create
/// whose answer was lost may have happened: repeating it would fail on the name (container) or, on
/// older engines, create a second network of the same name. For those, deterministic names plus
/// re-planning are the retry: the next pass observes what exists and plans only what is missing.
/// </remarks>
public sealed class ResilientContainerEngine : IContainerEngine, IEngineOutageWitness
{
    private readonly IContainerEngine inner;
    // Building the pipeline validates its options by reflection (DataAnnotations): about 5 ms of every CLI
    // command's start under Native AOT, so it is built on the thread pool while the command does its first
    // work (issue #16), and each call waits for it (done long before the first engine call, in practice).
    private readonly Task<ResiliencePipeline> pipeline;
    private long outagesSeen;

    /// <param name="inner">The engine to call.</param>
    /// <param name="timeProvider">For the delays between attempts.</param>
    /// <param name="options">Attempts and delays; default <see cref="DefaultRetry"/>.</param>
    public ResilientContainerEngine(IContainerEngine inner, TimeProvider timeProvider, RetryStrategyOptions? options = null)
    {
        this.inner = inner;
        var retry = options ?? DefaultRetry();
        retry.ShouldHandle = new PredicateBuilder().Handle<Exception>(EngineErrors.IsTransient);
        var callersOnRetry = retry.OnRetry;
        retry.OnRetry = arguments =>
        {
            if (IsOutage(arguments.Outcome.Exception))
            {
                Interlocked.Increment(ref outagesSeen);
            }

            return callersOnRetry?.Invoke(arguments) ?? default;
        };
        pipeline = Task.Run(() => new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddRetry(retry).Build());
    }

    /// <inheritdoc/>
    /// <remarks>Counted on every retried outage; a call whose last attempt fails throws, which its caller sees anyway.</remarks>
    public long OutagesSeen => Interlocked.Read(ref outagesSeen);

    /// <summary>No answer at all (the engine away or silent); a 5xx or a registry's failure is an answer.</summary>
    private static bool IsOutage(Exception? exception) =>
        exception is EngineException { IsTransient: true, StatusCode: null } and not ImagePullException;

    /// <summary>
    /// 3 retries after 0.5 s, 1 s, 2 s (exponential, with jitter): about 3.5 s in all, enough for an engine
    /// restart's socket gap or a registry's brief 503, short enough not to stall a pass.
    /// </summary>
    public static RetryStrategyOptions DefaultRetry() => new()
    {
        MaxRetryAttempts = 3,
        Delay = TimeSpan.FromMilliseconds(500),
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
    };

    public Task<ObservedState> ObserveServiceAsync(string hostIdentity, string stack, string service, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.ObserveServiceAsync(hostIdentity, stack, service, token), cancellationToken);

    public Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken)
    {
        var references = imageReferences.ToList();
        return RetryAsync(token => inner.ObserveAsync(hostIdentity, references, token), cancellationToken);
    }

    public Task PullImageAsync(string imageReference, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.PullImageAsync(imageReference, token), cancellationToken);

    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken) =>
        inner.RemoveImageAsync(imageId, cancellationToken);

    public Task PullImageAsync(string imageReference, string? platform, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.PullImageAsync(imageReference, platform, token), cancellationToken);

    public Task PullImageAsync(string imageReference, string? platform, IProgress<Images.PullMessage> progress, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.PullImageAsync(imageReference, platform, progress, token), cancellationToken);

    public Task<string?> ImagePlatformAsync(string imageReference, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.ImagePlatformAsync(imageReference, token), cancellationToken);

    public Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        inner.CreateNetworkAsync(network, stack, owner, cancellationToken);

    public Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken) =>
        inner.RemoveNetworkAsync(networkName, cancellationToken);

    public Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.CreateVolumeAsync(volume, stack, owner, token), cancellationToken);

    public Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken) =>
        inner.RemoveVolumeAsync(volumeName, cancellationToken);

    public Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken) =>
        inner.CreateContainerAsync(request, cancellationToken);

    public Task<string> CreateFrontAsync(Fronts.FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken) =>
        inner.CreateFrontAsync(front, owner, cancellationToken);

    public Task EnsureServiceFilesAsync(ServiceSpec service, ResourceOwner owner, CancellationToken cancellationToken) =>
        inner.EnsureServiceFilesAsync(service, owner, cancellationToken);

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.StartContainerAsync(containerId, token), cancellationToken);

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.StopContainerAsync(containerId, gracePeriod, token), cancellationToken);

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        inner.RemoveContainerAsync(containerId, cancellationToken);

    public Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken) =>
        inner.RenameContainerAsync(containerId, newName, cancellationToken);

    public Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken) =>
        inner.ConnectNetworkAsync(containerId, networkName, aliases, cancellationToken);

    // Not repeated blindly, like a connect: the next pass re-plans what is still missing.
    public Task ConnectReplicaAsync(string containerId, ServiceSpec service, ServiceNetwork network, CancellationToken cancellationToken) =>
        inner.ConnectReplicaAsync(containerId, service, network, cancellationToken);

    // Not repeated in place either: the next pass's drift check re-plans what still differs.
    public Task UpdateContainerAsync(string containerId, ContainerResources resources, CancellationToken cancellationToken) =>
        inner.UpdateContainerAsync(containerId, resources, cancellationToken);

    public Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken) =>
        inner.DisconnectNetworkAsync(containerId, networkName, cancellationToken);

    public Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.InspectContainerAsync(containerId, token), cancellationToken);

    // Not retried: a wait that broke off is resumed by the next pass (the job's container still runs).
    public Task<ContainerExit> WaitForExitAsync(string containerId, CancellationToken cancellationToken) =>
        inner.WaitForExitAsync(containerId, cancellationToken);

    public Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken) =>
        RetryAsync(token => inner.TailLogsAsync(containerId, lines, token), cancellationToken);

    private async Task RetryAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        await (await pipeline.ConfigureAwait(false)).ExecuteAsync(async token => await call(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await (await pipeline.ConfigureAwait(false)).ExecuteAsync(async token => await call(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
}
