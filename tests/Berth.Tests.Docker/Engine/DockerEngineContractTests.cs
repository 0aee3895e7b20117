using Berth.Reconciler.Engine;
using Berth.Tests.Infrastructure;
using Berth.Tests.Shared;

namespace Berth.Tests.Engine;

/// <summary>The engine contract (<see cref="ContainerEngineContract"/>) against the real Docker Engine: what the fake must match.</summary>
public sealed class DockerEngineContractTests : ContainerEngineContract
{
    protected override (IContainerEngine Engine, string Host, string OtherHost, IAsyncDisposable Cleanup) Open()
    {
        var scope = new DockerTestScope();
        var other = new DockerTestScope();
        return (new DockerContainerEngine(scope.Client), scope.ScopeId, other.ScopeId, new Both(scope, other));
    }

    private sealed class Both(DockerTestScope first, DockerTestScope second) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }
}
