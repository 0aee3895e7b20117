using System.Collections.Immutable;
using Berth.Reconciler.Engine;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Images;

/// <summary>What a garbage collection did: the plan, the images removed, and each removal the engine refused (with its answer).</summary>
public sealed record ImageCollectionResult(
    ImageCollectionPlan Plan,
    bool DryRun,
    ImmutableArray<PulledImage> Removed,
    ImmutableArray<(PulledImage Image, string Error)> Failed);

/// <summary>
/// Image garbage collection against the engine: observe once, select (<see cref="ImageGarbageCollection"/>),
/// remove each image by id without force, record. A removal the engine refuses (a container berth did
/// not create uses it, it carries another repository's tag) is reported and skipped, and its record
/// kept: the next collection tries again. Runs between passes (the daemon's loop, or `berth gc`, which
/// holds the state directory's lock), so the state file has one writer at a time.
/// </summary>
public sealed class ImageGarbageCollector(IContainerEngine engine, IStateStore stateStore)
{
    public async Task<ImageCollectionResult> CollectAsync(string host, bool dryRun, CancellationToken cancellationToken)
    {
        var observed = await engine.ObserveAsync(host, [], cancellationToken).ConfigureAwait(false);
        var applied = await stateStore.LoadAsync(host, cancellationToken).ConfigureAwait(false);
        var plan = ImageGarbageCollection.Select(applied, observed);
        if (dryRun)
        {
            return new ImageCollectionResult(plan, DryRun: true, [], []);
        }

        var removed = ImmutableArray.CreateBuilder<PulledImage>();
        var failed = ImmutableArray.CreateBuilder<(PulledImage, string)>();
        foreach (var verdict in plan.Remove)
        {
            try
            {
                await engine.RemoveImageAsync(verdict.Image.Id, cancellationToken).ConfigureAwait(false);
                removed.Add(verdict.Image);
            }
            catch (EngineNotFoundException)
            {
                removed.Add(verdict.Image); // gone already: nothing left to collect
            }
            catch (EngineException exception)
            {
                failed.Add((verdict.Image, exception.Message));
            }
        }

        if (removed.Count > 0 || !plan.Gone.IsEmpty)
        {
            // Read again just before writing: only the records this collection settled are dropped.
            var dropped = removed.Select(image => image.Id).Concat(plan.Gone.Select(image => image.Id)).ToHashSet(StringComparer.Ordinal);
            var current = await stateStore.LoadAsync(host, cancellationToken).ConfigureAwait(false);
            await stateStore.SaveAsync(current with { PulledImages = [.. current.PulledImages.Where(image => !dropped.Contains(image.Id))] }, cancellationToken).ConfigureAwait(false);
        }

        return new ImageCollectionResult(plan, DryRun: false, removed.ToImmutable(), failed.ToImmutable());
    }
}
