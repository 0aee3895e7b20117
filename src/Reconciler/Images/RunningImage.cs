using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Images;

/// <summary>
/// The image a service runs, as `/status` and `berth_service_image_info` show it: the image id of its
/// lowest running replica (during a rollout, replicas can differ for a moment), and the registry
/// digest of that image when it came from a registry (its RepoDigests, the one of the service's
/// repository first). Pure: read from one observation.
/// </summary>
/// <param name="Reference">The service's `image:` as written.</param>
/// <param name="ImageId">The local image id (`sha256:...`); null when no replica runs.</param>
/// <param name="Digest">The registry's manifest digest (`sha256:...`); null when no replica runs or the image never came from (or went to) a registry.</param>
public sealed record RunningImage(string Reference, string? ImageId, string? Digest)
{
    public static RunningImage Of(ServiceSpec service, ObservedState observed)
    {
        var replica = observed.ReplicasOf(service)
            .Where(container => container.State == ContainerRunState.Running && !string.IsNullOrEmpty(container.ImageId))
            .OrderBy(container => container.Replica)
            .FirstOrDefault();
        if (replica is null)
        {
            return new RunningImage(service.Container.Image, null, null);
        }

        var repository = ImageReference.Parse(service.Container.Image)?.Repository;
        var digests = observed.Images.FirstOrDefault(image => image.Id == replica.ImageId)?.RepoDigests ?? [];
        var digest = digests
            .Select(ImageReference.Parse)
            .OfType<ImageReference>()
            .Where(reference => reference.Digest is not null)
            .OrderBy(reference => reference.Repository == repository ? 0 : 1)
            .ThenBy(reference => reference.Repository, StringComparer.Ordinal)
            .FirstOrDefault()?.Digest;
        return new RunningImage(service.Container.Image, replica.ImageId, digest);
    }
}
