using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// An event stream the test writes to, for <see cref="FakeContainerEngine"/>'s containers: it sends what
/// the engine would (a container event by id), or breaks. One consumer at a time, as one pass's hub.
/// </summary>
internal sealed class FakeEngineEvents : IEngineEvents
{
    private readonly Channel<EngineEvent> channel = Channel.CreateUnbounded<EngineEvent>();
    private int subscriptions;

    /// <summary>How many streams were requested (the engine's work: one per pass is the goal).</summary>
    public int Subscriptions => Volatile.Read(ref subscriptions);

    public void Send(string containerId, string action, ContainerHealth? health = null) =>
        channel.Writer.TryWrite(new EngineEvent(EngineObjectType.Container, action, containerId, null, ImmutableSortedDictionary<string, string>.Empty) { Health = health });

    /// <summary>The stream breaks as a real one does: the consumer gets <paramref name="failure"/>.</summary>
    public void Break(Exception failure) => channel.Writer.TryComplete(failure);

    public async IAsyncEnumerable<EngineEvent> StreamAsync(EngineEventFilter filter, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref subscriptions);
        await foreach (var engineEvent in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return engineEvent;
        }
    }
}
