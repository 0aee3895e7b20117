using System.Collections.Immutable;
using Berth.Reconciler.Execution;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Images;

/// <summary>One image garbage collection would remove, or keeps, and why.</summary>
public sealed record ImageVerdict(PulledImage Image, string Reason);

/// <summary>What one garbage collection does: images to remove, images kept (with why), records of images no longer on the host.</summary>
public sealed record ImageCollectionPlan(ImmutableArray<ImageVerdict> Remove, ImmutableArray<ImageVerdict> Keep, ImmutableArray<PulledImage> Gone)
{
    public override string ToString()
    {
        var lines = new System.Text.StringBuilder();
        foreach (var remove in Remove)
        {
            lines.Append("remove image ").Append(ImageReference.ShortId(remove.Image.Id)).Append(" (").Append(remove.Image.Reference).Append("): ").AppendLine(remove.Reason);
        }

        foreach (var keep in Keep)
        {
            lines.Append("keep image ").Append(ImageReference.ShortId(keep.Image.Id)).Append(" (").Append(keep.Image.Reference).Append("): ").AppendLine(keep.Reason);
        }

        return lines.Length == 0 ? "no image berth pulled is on this host\n" : lines.ToString();
    }
}

/// <summary>
/// Image garbage collection, the pure part: which images berth pulled it may remove now. Only images
/// berth recorded as pulled (<see cref="AppliedState.PulledImages"/>) are candidates, never one it did
/// not pull; of those, it keeps every image a container uses (any container, berth's or not, running
/// or stopped), and per service the image its applied version runs and the image of the version
/// before (the rollback target, so going back needs no pull).
/// </summary>
public static class ImageGarbageCollection
{
    public static ImageCollectionPlan Select(AppliedState applied, ObservedState observed)
    {
        var present = observed.Images.Select(image => image.Id).ToHashSet(StringComparer.Ordinal);
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, service) in applied.Services.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (service.ImageId is { } current)
            {
                kept.TryAdd(current, $"the image {name} runs");
            }

            if (service.PreviousImageId is { } previous)
            {
                kept.TryAdd(previous, $"the previous version of {name} (its rollback target)");
            }
        }

        var remove = ImmutableArray.CreateBuilder<ImageVerdict>();
        var keep = ImmutableArray.CreateBuilder<ImageVerdict>();
        var gone = ImmutableArray.CreateBuilder<PulledImage>();
        foreach (var pulled in applied.PulledImages.OrderBy(image => image.Id, StringComparer.Ordinal))
        {
            if (!present.Contains(pulled.Id))
            {
                gone.Add(pulled);
            }
            else if (observed.ImagesInUse.Contains(pulled.Id))
            {
                keep.Add(new ImageVerdict(pulled, "in use by a container"));
            }
            else if (kept.TryGetValue(pulled.Id, out var reason))
            {
                keep.Add(new ImageVerdict(pulled, reason));
            }
            else
            {
                remove.Add(new ImageVerdict(pulled, $"pulled by berth for {string.Join(", ", pulled.Services)} and no longer used"));
            }
        }

        return new ImageCollectionPlan(remove.ToImmutable(), keep.ToImmutable(), gone.ToImmutable());
    }

    /// <summary>
    /// The pulled-image records after a pass: each pull that succeeded adds (or refreshes) the id its
    /// reference resolves to now, with the services that use the reference. Records of images no longer
    /// on the host are dropped when the host was listed (a full observation).
    /// </summary>
    public static ImmutableArray<PulledImage> RecordPulls(ImmutableArray<PulledImage> pulled, ExecutionReport report, DesiredState desired, ObservedState after, DateTimeOffset now)
    {
        var byId = pulled.IsDefault ? new Dictionary<string, PulledImage>(StringComparer.Ordinal) : pulled.ToDictionary(image => image.Id, StringComparer.Ordinal);
        foreach (var outcome in report.Steps.Where(step => step.Result == StepResult.Succeeded))
        {
            if (outcome.Step is not PullImageStep pull || !after.ImageIds.TryGetValue(pull.Image, out var imageId))
            {
                continue;
            }

            var services = desired.AllServices.Where(service => service.Container.Image == pull.Image).Select(service => service.QualifiedName);
            var earlier = byId.GetValueOrDefault(imageId)?.Services ?? [];
            // An image reference can come from a secret variable: the state file never holds a secret value.
            byId[imageId] = new PulledImage(imageId, desired.Secrets.Mask(pull.Image), [.. earlier.Concat(services).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], now);
        }

        if (!after.Images.IsEmpty)
        {
            var present = after.Images.Select(image => image.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var id in byId.Keys.Where(id => !present.Contains(id)).ToList())
            {
                byId.Remove(id);
            }
        }

        return [.. byId.Values.OrderBy(image => image.Id, StringComparer.Ordinal)];
    }
}
