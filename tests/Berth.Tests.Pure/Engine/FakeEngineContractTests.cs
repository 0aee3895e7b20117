using Berth.Reconciler.Engine;
using Berth.Tests.Reconciliation;
using Berth.Tests.Shared;

namespace Berth.Tests.Engine;

/// <summary>
/// The engine contract (<see cref="ContainerEngineContract"/>) against the fake the fast executor and
/// reconciler tests use; Berth.Tests.Docker runs the same contract against the real engine.
/// </summary>
public sealed class FakeEngineContractTests : ContainerEngineContract
{
    protected override (IContainerEngine Engine, string Host, string OtherHost, IAsyncDisposable Cleanup) Open() =>
        (new FakeContainerEngine(), "host-a", "host-b", new NothingToClean());

    private sealed class NothingToClean : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
