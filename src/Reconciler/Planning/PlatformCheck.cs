using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Planning;

/// <summary>
/// `platform`: a service runs only on an image of the platform it asks for. An image present locally
/// with another platform holds the service back with the reason (its running containers are kept);
/// berth never silently runs the host's platform instead. A missing image is pulled for the platform
/// (<see cref="PullImageStep.Platform"/>), and the engine refuses a create whose image does not match.
/// </summary>
internal static class PlatformCheck
{
    /// <returns>Why the service cannot run on the local image, or null when it can (or asks for no platform, or the image is not here yet).</returns>
    public static string? Mismatch(ServiceSpec service, ObservedState observed)
    {
        if (service.Container.Platform is not { } wanted || service.Replicas == 0
            || !observed.ImagePlatforms.TryGetValue(service.Container.Image, out var actual) || PlatformName.Matches(wanted, actual))
        {
            return null;
        }

        return $"held back: platform is {wanted}, but the local image {service.Container.Image} is {actual}; berth never runs another platform than the one asked for. " +
            $"Make {service.Container.Image} an image for {wanted} on this host (pull or load it), or change platform";
    }

    /// <returns>The one platform the services that pull an image ask for, or null (none, or they disagree: the engine's own then).</returns>
    public static string? ForPull(IEnumerable<ServiceSpec> services)
    {
        var platforms = services.Select(service => service.Container.Platform).Distinct(StringComparer.Ordinal).ToList();
        return platforms is [{ } platform] ? platform : null;
    }
}
