using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Reconciliation;

namespace Berth.Tests.Execution;

/// <summary>
/// <see cref="FakeContainerEngine"/> behind a lock (the executor calls it from parallel units and gates),
/// whose started containers report, inspect by inspect, the health of <paramref name="healthScript"/>
/// (its last entry from then on), and which counts how many starts were in the engine at once (each
/// takes a moment, as the engine's does).
/// </summary>
internal sealed class ScriptedHealthEngine(FakeContainerEngine inner, params ContainerHealth[] healthScript) : IContainerEngine
{
    private readonly Lock sync = new();
    private readonly Dictionary<string, int> inspectsOf = new(StringComparer.Ordinal);
    private readonly HashSet<string> notYetHealthy = new(StringComparer.Ordinal);
    private int startsInFlight;
    private int mostStartsAtOnce;
    private int mostStartingAtOnce;

    public FakeContainerEngine Inner => inner;

    /// <summary>The most container starts in the engine at any moment.</summary>
    public int MostStartsAtOnce
    {
        get
        {
            lock (sync)
            {
                return mostStartsAtOnce;
            }
        }
    }

    /// <summary>The most started containers still "starting" (waiting in their gates) at any moment.</summary>
    public int MostStartingAtOnce
    {
        get
        {
            lock (sync)
            {
                return mostStartingAtOnce;
            }
        }
    }

    /// <summary>Counts from now on (after a setup pass).</summary>
    public void ResetCount()
    {
        lock (sync)
        {
            mostStartsAtOnce = 0;
        }
    }

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (sync)
        {
            mostStartsAtOnce = Math.Max(mostStartsAtOnce, ++startsInFlight);
        }

        // A start takes the engine a moment: without a bound, the starts of parallel units overlap.
        await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        lock (sync)
        {
            startsInFlight--;
            inner.StartContainerAsync(containerId, cancellationToken).GetAwaiter().GetResult();
            var name = inner.InspectContainerAsync(containerId, cancellationToken).GetAwaiter().GetResult().Name;
            inner.SetHealth(name, ContainerHealth.Starting);
            inspectsOf[containerId] = 0;
            notYetHealthy.Add(containerId);
            mostStartingAtOnce = Math.Max(mostStartingAtOnce, notYetHealthy.Count);
        }
    }

    public Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (sync)
        {
            var snapshot = inner.InspectContainerAsync(containerId, cancellationToken).GetAwaiter().GetResult();
            // Gates inspect by id or (waiting for a dependency) by name: the script follows the id.
            var key = snapshot.Id;
            if (inspectsOf.TryGetValue(key, out var inspects))
            {
                var health = healthScript[Math.Min(inspects, healthScript.Length - 1)];
                inspectsOf[key] = inspects + 1;
                inner.SetHealth(snapshot.Name, health, health == ContainerHealth.Unhealthy ? "timed out" : null);
                snapshot = snapshot with { Health = health };
                if (health != ContainerHealth.Starting)
                {
                    notYetHealthy.Remove(key);
                }
            }

            return Task.FromResult(snapshot);
        }
    }

    public Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken) =>
        Locked(() => inner.ObserveAsync(hostIdentity, imageReferences, cancellationToken));

    public Task PullImageAsync(string imageReference, CancellationToken cancellationToken) => Locked(() => inner.PullImageAsync(imageReference, cancellationToken));

    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken) => Locked(() => inner.RemoveImageAsync(imageId, cancellationToken));

    public Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken) =>
        Locked(() => inner.CreateContainerAsync(request, cancellationToken));

    public Task<string> CreateFrontAsync(FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken) =>
        throw new NotSupportedException("no fronts here");

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        Locked(() => inner.StopContainerAsync(containerId, gracePeriod, cancellationToken));

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) => Locked(() => inner.RemoveContainerAsync(containerId, cancellationToken));

    public Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken) =>
        Locked(() => inner.RenameContainerAsync(containerId, newName, cancellationToken));

    public Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken) => Task.FromResult("");

    private Task Locked(Func<Task> call)
    {
        lock (sync)
        {
            call().GetAwaiter().GetResult();
        }

        return Task.CompletedTask;
    }

    private Task<T> Locked<T>(Func<Task<T>> call)
    {
        lock (sync)
        {
            return Task.FromResult(call().GetAwaiter().GetResult());
        }
    }
}
