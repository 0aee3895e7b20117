using System.Net;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Health;
using Berth.Reconciler.Observe;
using Berth.Tests.Reconciliation;
using Polly.Retry;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Health;

/// <summary>
/// The gate against an engine that goes away while it watches (issue #20): an engine restart stops every
/// container, and a gate that saw the outage must not call that the version's failure.
/// </summary>
public sealed class HealthGateTests
{
    private readonly FakeContainerEngine inner = new();

    private ResilientContainerEngine Engine() =>
        new(inner, TimeProvider.System, new RetryStrategyOptions { MaxRetryAttempts = 3, Delay = TimeSpan.Zero });

    private static EngineException Unreachable() =>
        EngineErrors.Translate(new HttpRequestException("Connection refused"), CancellationToken.None)!;

    private async Task<(string Id, Reconciler.Spec.Model.ServiceSpec Service)> StartedWebAsync()
    {
        var web = Service("shop", "web", Container());
        var id = await inner.CreateContainerAsync(new ContainerCreateRequest(web, 1, "shop-web-1", new ResourceOwner("host-a", "rev-1"), null, true), CancellationToken.None);
        await inner.StartContainerAsync(id, CancellationToken.None);
        return (id, web);
    }

    [Fact]
    public async Task Wait_ContainerExitedAfterTheEngineWasUnreachable_ThrowsTransientInsteadOfFailingTheVersion()
    {
        var (id, web) = await StartedWebAsync();
        inner.StopByHand("shop-web-1");            // what dockerd's shutdown does to every container
        inner.InspectFailures.Enqueue(Unreachable()); // the gate's first look meets the closed socket; the retry finds it exited

        var error = await Assert.ThrowsAsync<EngineException>(() => new HealthGate(Engine(), TimeProvider.System).WaitAsync(id, web, TimeSpan.FromMinutes(1), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Contains("shop-web-1: exited with code 137, after the engine was unreachable during its health gate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_ContainerExitedWithTheEngineAnsweringThroughout_FailsWithEvidence()
    {
        var (id, web) = await StartedWebAsync();
        inner.StopByHand("shop-web-1");

        var evidence = await new HealthGate(Engine(), TimeProvider.System).WaitAsync(id, web, TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.NotNull(evidence);
        Assert.Equal("exited with code 137", evidence.Reason);
        Assert.Equal(137, evidence.ExitCode);
    }

    [Fact]
    public async Task Wait_ContainerExitedAfterAServerError_FailsWithEvidence()
    {
        // A 5xx is the engine answering: not an outage, so it does not excuse the exit.
        var (id, web) = await StartedWebAsync();
        inner.StopByHand("shop-web-1");
        inner.InspectFailures.Enqueue(EngineErrors.Answer(HttpStatusCode.InternalServerError, "busy"));

        var evidence = await new HealthGate(Engine(), TimeProvider.System).WaitAsync(id, web, TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Equal("exited with code 137", evidence?.Reason);
    }

    [Fact]
    public async Task Wait_FirstDeployWithAHealthCheck_PassesAtItsFirstHealthyWithoutTheMonitorWindow()
    {
        // Nothing to roll back to: the monitor window (an hour here) would only delay a cold deploy (issue #16).
        var web = Service("shop", "web", Container() with
        {
            HealthCheck = new Reconciler.Spec.Model.HealthCheckSpec(["CMD", "true"], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero, 3),
        });
        var id = await inner.CreateContainerAsync(new ContainerCreateRequest(web, 1, "shop-web-1", new ResourceOwner("host-a", "rev-1"), null, true), CancellationToken.None);
        await inner.StartContainerAsync(id, CancellationToken.None);
        inner.SetHealth("shop-web-1", ContainerHealth.Healthy);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var evidence = await new HealthGate(Engine(), TimeProvider.System).WaitAsync(id, web, TimeSpan.FromHours(1), deadline.Token, nothingToRollBackTo: true);

        Assert.Null(evidence);
    }

    [Fact]
    public async Task Wait_ContainerStillRunningAfterAnOutage_Passes()
    {
        var (id, web) = await StartedWebAsync();
        inner.InspectFailures.Enqueue(Unreachable());

        var evidence = await new HealthGate(Engine(), TimeProvider.System).WaitAsync(id, web, TimeSpan.Zero, CancellationToken.None);

        Assert.Null(evidence);
    }
}
