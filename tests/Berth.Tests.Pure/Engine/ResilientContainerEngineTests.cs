using System.Net;
using Berth.Reconciler.Engine;
using Berth.Tests.Reconciliation;
using Polly.Retry;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Engine;

/// <summary>Only calls that are safe to repeat are retried, and only on transient errors.</summary>
public sealed class ResilientContainerEngineTests
{
    private readonly FakeContainerEngine inner = new();

    private ResilientContainerEngine Engine() =>
        new(inner, TimeProvider.System, new RetryStrategyOptions { MaxRetryAttempts = 3, Delay = TimeSpan.Zero });

    /// <summary>An unreachable engine, as <see cref="DockerContainerEngine"/> reports it.</summary>
    private static EngineException Unreachable() =>
        EngineErrors.Translate(new HttpRequestException("Connection refused"), CancellationToken.None)!;

    private async Task<string> CreateWebAsync()
    {
        var web = Service("shop", "web", Container());
        return await inner.CreateContainerAsync(new ContainerCreateRequest(web, 1, "shop-web-1", new ResourceOwner("host-a", "rev-1"), null, true), CancellationToken.None);
    }

    [Fact]
    public async Task Inspect_EngineHiccupsTwice_SucceedsOnTheThirdAttempt()
    {
        var id = await CreateWebAsync();
        inner.InspectFailures.Enqueue(Unreachable());
        inner.InspectFailures.Enqueue(EngineErrors.Answer(HttpStatusCode.ServiceUnavailable, "restarting"));

        var snapshot = await Engine().InspectContainerAsync(id, CancellationToken.None);

        Assert.Equal("shop-web-1", snapshot.Name);
        Assert.Equal(3, inner.InspectCalls);
    }

    [Fact]
    public async Task OutagesSeen_CountsRetriedCallsWithoutAnAnswer_NotServerErrorsOrRefusals()
    {
        var id = await CreateWebAsync();
        var engine = Engine();
        inner.InspectFailures.Enqueue(Unreachable());
        inner.InspectFailures.Enqueue(EngineErrors.Answer(HttpStatusCode.ServiceUnavailable, "restarting"));
        inner.InspectFailures.Enqueue(Unreachable());

        await engine.InspectContainerAsync(id, CancellationToken.None);
        inner.InspectFailures.Enqueue(EngineErrors.Answer(HttpStatusCode.NotFound, "No such container"));
        await Assert.ThrowsAsync<EngineNotFoundException>(() => engine.InspectContainerAsync("gone", CancellationToken.None));

        Assert.Equal(2, engine.OutagesSeen);
    }

    [Fact]
    public async Task Inspect_EngineRefuses_IsNotRetried()
    {
        inner.InspectFailures.Enqueue(EngineErrors.Answer(HttpStatusCode.NotFound, "No such container"));

        await Assert.ThrowsAsync<EngineNotFoundException>(() => Engine().InspectContainerAsync("gone", CancellationToken.None));
        Assert.Equal(1, inner.InspectCalls);
    }

    [Fact]
    public async Task Inspect_EngineStaysDown_GivesUpAfterTheRetriesWithTheTransientError()
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            inner.InspectFailures.Enqueue(Unreachable());
        }

        var error = await Assert.ThrowsAsync<EngineException>(() => Engine().InspectContainerAsync("any", CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Equal(4, inner.InspectCalls);
    }

    [Fact]
    public async Task CreateContainer_TransientError_IsNotRepeatedBlindly()
    {
        // The first create may have happened on the engine; re-planning, not a blind repeat, is its retry.
        inner.FailNextCreate = new EngineException(EngineFailureKind.Transient, "The response ended prematurely.");
        var web = Service("shop", "web", Container());

        await Assert.ThrowsAsync<EngineException>(() => Engine().CreateContainerAsync(
            new ContainerCreateRequest(web, 1, "shop-web-1", new ResourceOwner("host-a", "rev-1"), null, true), CancellationToken.None));
        Assert.Equal(1, inner.CreateCalls);
    }
}
