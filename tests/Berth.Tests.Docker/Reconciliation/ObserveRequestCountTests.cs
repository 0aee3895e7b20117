using Berth.Reconciler.Engine;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Issue #16: a no-op pass observes the host once, from the engine's lists, so what it asks the engine
/// does not grow with the number of services. Before, every observation inspected every container (an
/// inspect waits for the container's lock while a health check runs; 50 took 38 s), and `apply`
/// observed twice.
/// </summary>
/// <remarks>
/// Counted at the HTTP level, in a unix socket between berth and the real engine
/// (<see cref="EngineSocketForwarder.Requests"/>), not around <see cref="IContainerEngine"/>: one
/// ObserveAsync there is one call whether it sends 4 requests or 400, and the cost is in the requests.
/// Counts, not times: the structure holds on a loaded machine too.
/// </remarks>
public sealed class ObserveRequestCountTests
{
    /// <summary>
    /// A no-op pass: list containers, list networks, list volumes, list images. Nothing per container,
    /// nothing per image: one image list resolves every reference (tags and digests) and gives the
    /// running images' digests (issue #18; it replaced one image inspect per distinct image, so the
    /// count stayed 4 with one image and no longer grows with several).
    /// </summary>
    private const int NoOpPassRequests = 4;

    [Fact]
    public async Task NoOpPlanAndApply_ThreeOrTwelveServices_SendTheSameFewRequestsToTheEngine()
    {
        var small = await CountNoOpPassAsync(services: 3);
        var large = await CountNoOpPassAsync(services: 12);

        Assert.True(small.Plan.Count == NoOpPassRequests, $"no-op plan, 3 services: {Describe(small.Plan)}");
        Assert.True(small.Apply.Count == NoOpPassRequests, $"no-op apply, 3 services: {Describe(small.Apply)}");
        Assert.Equal(small.Plan, large.Plan);
        Assert.Equal(small.Apply, large.Apply);
        Assert.Contains("GET /containers/json", small.Apply);
        Assert.Contains("GET /images/json", small.Apply);
        Assert.DoesNotContain(small.Apply, request => request.StartsWith("GET /containers/", StringComparison.Ordinal) && request.EndsWith("/json", StringComparison.Ordinal) && request != "GET /containers/json");
    }

    /// <summary>
    /// `berth apply` and `plan` ask for the lists before they load the desired state
    /// (<see cref="DockerContainerEngine.BeginObserving"/>): the pass then takes those answers, so it still
    /// sends the four lists once, and plans from them exactly what a pass that asked itself plans.
    /// </summary>
    [Fact]
    public async Task NoOpApply_ObservationBegunBeforeTheLoad_TakesTheEarlyListsAndAsksNothingAgain()
    {
        await using var harness = new ReconcileHarness();
        var desired = BenchmarkLikeState(harness, services: 3);
        await harness.ApplyConvergedAsync(desired);

        await using var forwarder = new EngineSocketForwarder();
        forwarder.Start();
        using var client = DockerClientFactory.Create(forwarder.DockerHost);
        using var engine = new DockerContainerEngine(client);
        var reconciler = new HostReconciler(engine, harness.StateStore, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        engine.BeginObserving(desired.Host);
        var applied = await reconciler.ApplyAsync(desired, DesiredStateRevision.Compute(desired), new ApplyOptions(), _ => { }, timeout.Token);

        Assert.Equal(ApplyOutcome.UpToDate, applied.Outcome);
        Assert.True(forwarder.Requests.Count == NoOpPassRequests, $"begun early, then applied: {Describe([.. forwarder.Requests])}");

        // Another host's early lists are not taken: the pass asks for its own.
        forwarder.ClearRequests();
        engine.BeginObserving(desired.Host + "-other");
        var planned = await reconciler.PlanAsync(desired, DriftMode.Repair, timeout.Token);
        Assert.False(planned.HasChanges, planned.ToString());
        // The other host's lists may still be on their way: polled, with a deadline.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (forwarder.Requests.Count < 2 * NoOpPassRequests && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.True(forwarder.Requests.Count == 2 * NoOpPassRequests, $"another host's early lists, then a plan: {Describe([.. forwarder.Requests])}");
    }

    /// <summary>
    /// N health-checked services on one network, every other one with a named volume: the benchmark's stack
    /// (bench/generate.py), for the tests that count what a pass asks the engine (this class, InformerTests).
    /// </summary>
    internal static DesiredState BenchmarkLikeState(ReconcileHarness harness, int services)
    {
        var stack = harness.StackName;
        var network = Network(stack, "net");
        var volumes = new List<VolumeSpec>();
        var serviceSpecs = new List<ServiceSpec>();
        for (var index = 1; index <= services; index++)
        {
            var service = Service(stack, $"s{index:D2}", WebContainer()).OnNetwork(network);
            if (index % 2 == 0)
            {
                var volume = Volume(stack, $"data-s{index:D2}");
                volumes.Add(volume);
                service = service.WithVolume(volume, "/data");
            }

            serviceSpecs.Add(service);
        }

        return Desired(harness.Host, Stack(stack, serviceSpecs, [network], volumes));
    }

    /// <summary>Deploys N health-checked services like the benchmark's (bench/generate.py), then counts a no-op plan's and apply's requests.</summary>
    private static async Task<(List<string> Plan, List<string> Apply)> CountNoOpPassAsync(int services)
    {
        await using var harness = new ReconcileHarness();
        var desired = BenchmarkLikeState(harness, services);
        await harness.ApplyConvergedAsync(desired);

        await using var forwarder = new EngineSocketForwarder();
        forwarder.Start();
        using var client = DockerClientFactory.Create(forwarder.DockerHost);
        var reconciler = new HostReconciler(new DockerContainerEngine(client), harness.StateStore, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var plan = await reconciler.PlanAsync(desired, DriftMode.Repair, timeout.Token);
        Assert.False(plan.HasChanges, plan.ToString());
        var planRequests = forwarder.Requests.Order(StringComparer.Ordinal).ToList();

        forwarder.ClearRequests();
        var applied = await reconciler.ApplyAsync(desired, DesiredStateRevision.Compute(desired), new ApplyOptions(), _ => { }, timeout.Token);
        Assert.Equal(ApplyOutcome.UpToDate, applied.Outcome);
        var applyRequests = forwarder.Requests.Order(StringComparer.Ordinal).ToList();
        return (planRequests, applyRequests);
    }

    private static string Describe(List<string> requests) => $"{requests.Count} requests: {string.Join(", ", requests)}";
}
