using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;
using ServiceSpec = Berth.Reconciler.Spec.Model.ServiceSpec;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Issue #16: the daemon's informer on the real engine. An idle pass answers from the observation the
/// engine's events keep current, so it sends no request at all, whatever N; a change behind berth's back
/// is announced by an event and seen by the very next pass (the resync is an hour here); a cut event
/// stream makes passes list the engine until it is back.
/// </summary>
/// <remarks>
/// The reconciler is wired as the daemon wires it (<see cref="CachingContainerEngine"/> over the engine,
/// <see cref="ObservationCache.RunAsync"/> fed by the engine's events), in process. Requests are counted
/// in a socket between berth and the engine (<see cref="EngineSocketForwarder"/>); the event stream has
/// a forwarder of its own, so that cutting it leaves the engine's other requests alone. Counts, not times.
/// </remarks>
public sealed class InformerTests
{
    /// <summary>The lists a pass makes when it does not answer from the cache: the same few whatever N.</summary>
    private static readonly string[] ListRequests = ["GET /containers/json", "GET /images/json", "GET /networks", "GET /volumes"];

    [Fact]
    public async Task IdlePass_ThreeOrTwelveServices_SendsNoRequestToTheEngine()
    {
        foreach (var services in new[] { 3, 12 })
        {
            await using var host = await InformedHost.DeployAsync(services);

            var (first, requests) = await host.UntilAPassIsServedFromTheCacheAsync();
            Assert.True(requests.Count == 0, $"idle pass from the cache, {services} services: {string.Join(", ", requests)}");

            // The engine is shared with other tests: their containers, networks and volumes come and go, and
            // each such event rightly makes one pass list again. Either way nothing is asked per container.
            for (var pass = 1; pass <= 3; pass++)
            {
                var fromCacheBefore = host.Cache.Counts.Cache;
                host.Requests.ClearRequests();
                var result = await host.PassAsync();
                requests = [.. host.Requests.Requests.Order(StringComparer.Ordinal)];

                Assert.Equal(ApplyOutcome.UpToDate, result.Outcome);
                if (host.Cache.Counts.Cache > fromCacheBefore)
                {
                    Assert.True(requests.Count == 0, $"idle pass {pass} from the cache, {services} services: {string.Join(", ", requests)}");
                }
                else
                {
                    Assert.Equal(ListRequests, requests);
                }
            }
        }
    }

    [Fact]
    public async Task Drift_ContainerStoppedOrRemovedOrDisconnectedBehindBerth_NextPassSeesItThroughTheEvents()
    {
        await using var host = await InformedHost.DeployAsync(services: 3);
        var stack = host.Harness.StackName;

        // Stopped by hand: the die and stop events make the next pass list, and it starts the container.
        await host.UntilAPassIsServedFromTheCacheAsync();
        await host.Harness.Client.Containers.StopContainerAsync($"{stack}-s01-1", new ContainerStopParameters { WaitBeforeKillSeconds = 1 });
        var repaired = await host.PassOnceTheInformerHeardAsync(EngineEventActions.Stop, $"{stack}-s01-1");
        Assert.Equal(ApplyOutcome.Applied, repaired.Outcome);
        Assert.True((await host.Harness.InspectAsync($"{stack}-s01-1")).State.Running);

        // Removed by hand: the destroy event; the next pass creates it again.
        await host.UntilAPassIsServedFromTheCacheAsync();
        await host.Harness.Client.Containers.RemoveContainerAsync($"{stack}-s02-1", new ContainerRemoveParameters { Force = true });
        repaired = await host.PassOnceTheInformerHeardAsync(EngineEventActions.Destroy, $"{stack}-s02-1");
        Assert.Equal(ApplyOutcome.Applied, repaired.Outcome);
        Assert.True((await host.Harness.InspectAsync($"{stack}-s02-1")).State.Running);

        // Disconnected from its network by hand: the network's disconnect event names the container, the
        // next pass's list shows it without the network, and the pass connects it again in place.
        var (cached, _) = await host.UntilAPassIsServedFromTheCacheAsync();
        var disconnectedId = (await host.Harness.InspectAsync($"{stack}-s03-1")).ID;
        var network = Assert.Single(cached.Observed!.Networks).Name;
        Assert.Contains(network, cached.Observed.Containers.Single(container => container.Name == $"{stack}-s03-1").Addresses.Keys);
        await host.Harness.Client.Networks.DisconnectNetworkAsync(network, new NetworkDisconnectParameters { Container = $"{stack}-s03-1" });
        repaired = await host.PassOnceTheInformerHeardAsync(EngineEventActions.Disconnect, disconnectedId);
        Assert.Contains($"reconnect container {stack}-s03-1 to network {network}: disconnected outside berth", repaired.Plan.ToString(), StringComparison.Ordinal);
        Assert.Equal(ApplyOutcome.Applied, repaired.Outcome);
        Assert.Contains(network, repaired.Observed!.Containers.Single(container => container.Name == $"{stack}-s03-1").Addresses.Keys);
        Assert.Equal(disconnectedId, (await host.Harness.InspectAsync($"{stack}-s03-1")).ID);
    }

    [Fact]
    public async Task EventStreamCut_PassesListTheEngineUntilItIsBackThenTheCacheAnswersAgain()
    {
        await using var host = await InformedHost.DeployAsync(services: 3);
        await host.UntilAPassIsServedFromTheCacheAsync();

        host.EventsForwarder.Stop();
        await Poll.UntilAsync(() => !host.Cache.StreamUp, "the informer noticing its stream was cut");
        host.Requests.ClearRequests();
        var whileCut = await host.PassAsync();
        Assert.Equal(ApplyOutcome.UpToDate, whileCut.Outcome);
        Assert.Contains("GET /containers/json", host.Requests.Requests);

        // Back: the informer subscribes again by itself; what was listed while it was gone is not trusted,
        // so the first pass lists, and the idle passes after it are answered from the cache again.
        host.EventsForwarder.Start();
        await Poll.UntilAsync(() => host.Cache.StreamUp, "the informer subscribing again");
        host.Requests.ClearRequests();
        await host.PassAsync();
        Assert.Contains("GET /containers/json", host.Requests.Requests);
        await host.UntilAPassIsServedFromTheCacheAsync();
    }

    /// <summary>A deployed host identity and a reconciler wired as the daemon's, with its informer running.</summary>
    internal sealed class InformedHost : IAsyncDisposable
    {
        private readonly DesiredState desired;
        private readonly HostReconciler reconciler;
        private readonly DockerEngineEvents events;
        private readonly Docker.DotNet.IDockerClient client;
        private readonly CancellationTokenSource stop = new();
        private readonly Task informing;

        private InformedHost(ReconcileHarness harness, DesiredState desired)
        {
            Heard = new HeardEvents(() => events!);
            Harness = harness;
            this.desired = desired;
            Requests.Start();
            EventsForwarder.Start();
            // An hour: everything these tests see must come through the events, not the resync.
            Cache = new ObservationCache(harness.Host, TimeSpan.FromHours(1), TimeProvider.System);
            events = DockerEngineEvents.Connect(EventsForwarder.DockerHost);
            informing = Cache.RunAsync(Heard, null, stop.Token);
            client = DockerClientFactory.Create(Requests.DockerHost);
            // The gates' events through the harness's own stream: not counted, as the daemon's long-lived one is not per pass.
            reconciler = new HostReconciler(new CachingContainerEngine(new DockerContainerEngine(client), Cache), harness.StateStore, TimeProvider.System, events: harness.Events);
        }

        public ReconcileHarness Harness { get; }

        /// <summary>The events the informer was handed, as it got them.</summary>
        public HeardEvents Heard { get; }

        public ObservationCache Cache { get; }

        public EngineSocketForwarder Requests { get; } = new();

        public EngineSocketForwarder EventsForwarder { get; } = new();

        /// <summary>Each pass takes its drift check from the informer, as the daemon's pass does (GitOpsPass); off: none.</summary>
        public bool DriftChecks { get; set; }

        /// <summary>N health-checked services on one network, every other one with a named volume (as the benchmark's stacks).</summary>
        public static Task<InformedHost> DeployAsync(int services) =>
            DeployAsync(harness => ObserveRequestCountTests.BenchmarkLikeState(harness, services));

        public static async Task<InformedHost> DeployAsync(Func<ReconcileHarness, DesiredState> state)
        {
            var harness = new ReconcileHarness();
            var desired = state(harness);
            await harness.ApplyConvergedAsync(desired);
            return new InformedHost(harness, desired);
        }

        public async Task<ApplyResult> PassAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            return await reconciler.ApplyAsync(desired, DesiredStateRevision.Compute(desired), new ApplyOptions { DrainPeriod = TimeSpan.FromMilliseconds(200), DriftCheck = DriftChecks ? Cache.TakeDriftCheck() : DriftCheckScope.None }, _ => { }, timeout.Token);
        }

        /// <summary>
        /// Runs passes until one is answered from the cache: after the deploy, the engine's last events
        /// (replayed to the new stream, or late health changes), and other tests' work on the shared engine,
        /// each make one pass list again. Returns that pass and the requests it sent.
        /// </summary>
        public async Task<(ApplyResult Result, List<string> Requests)> UntilAPassIsServedFromTheCacheAsync()
        {
            (ApplyResult Result, List<string> Requests)? served = null;
            await Poll.UntilAsync(async () =>
            {
                var before = Cache.Counts.Cache;
                Requests.ClearRequests();
                var result = await PassAsync();
                served = Cache.Counts.Cache > before ? (result, [.. Requests.Requests]) : null;
                return served is not null;
            }, "an idle pass answered from the cache");
            Assert.Equal(ApplyOutcome.UpToDate, served!.Value.Result.Outcome);
            return served.Value;
        }

        /// <summary>
        /// Waits until the engine's event for a change made by hand (by action, and the container's name or
        /// id) reached the informer, then runs one pass: it must list the engine, not answer from the cache.
        /// </summary>
        public async Task<ApplyResult> PassOnceTheInformerHeardAsync(string action, string container)
        {
            await Poll.UntilAsync(() => Heard.Any(engineEvent => engineEvent.Action == action
                && (engineEvent.Name == container || engineEvent.ContainerId == container)), $"the informer hearing '{action}' of {container}");
            Requests.ClearRequests();
            var result = await PassAsync();
            Assert.Contains("GET /containers/json", Requests.Requests);
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await informing;
            events.Dispose();
            client.Dispose();
            await Requests.DisposeAsync();
            await EventsForwarder.DisposeAsync();
            await Harness.DisposeAsync();
            stop.Dispose();
        }
    }

    /// <summary>The engine's events, recorded as they are handed on (to the informer).</summary>
    internal sealed class HeardEvents(Func<IEngineEvents> inner) : IEngineEvents
    {
        private readonly List<EngineEvent> heard = [];

        public bool Any(Func<EngineEvent, bool> predicate)
        {
            lock (heard)
            {
                return heard.Any(predicate);
            }
        }

        public async IAsyncEnumerable<EngineEvent> StreamAsync(EngineEventFilter filter, DateTimeOffset? since, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var engineEvent in inner().StreamAsync(filter, since, cancellationToken))
            {
                // Handed on first: once recorded, the informer has had it.
                yield return engineEvent;
                lock (heard)
                {
                    heard.Add(engineEvent);
                }
            }
        }
    }

    private static class Poll
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

        public static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

        public static async Task UntilAsync(Func<Task<bool>> condition, string what)
        {
            var deadline = DateTime.UtcNow + Deadline;
            while (!await condition())
            {
                Assert.True(DateTime.UtcNow < deadline, $"timed out after {Deadline.TotalSeconds} s waiting for {what}");
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }
    }
}
