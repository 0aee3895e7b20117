using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;

namespace Berth.Tests.Shared;

/// <summary>Builds observed engine snapshots and applied-state records for planner tests.</summary>
public static class TestObserved
{
    public const string ImageId = "sha256:image1";

    public static ObservedContainer Running(ServiceSpec service, int replica, string? id = null) => new(
        id ?? $"id-{service.Stack}-{service.Name}-{replica}",
        ContainerNames.For(service, replica),
        service.Stack,
        service.Name,
        replica,
        service.ConfigHash,
        "rev1",
        ImageId,
        ContainerRunState.Running,
        service.Container.HealthCheck is null ? ContainerHealth.None : ContainerHealth.Healthy,
        null,
        null);

    /// <summary>Everything of the desired state already running, as berth would have left it.</summary>
    public static ObservedState Matching(DesiredState desired) => State(
        desired.AllServices.SelectMany(service => Enumerable.Range(1, service.Replicas).Select(replica => Running(service, replica))),
        desired.Stacks.SelectMany(stack => stack.Networks.Select(network => new ObservedNetwork("net-" + network.EngineName, network.EngineName, stack.Name, network.Key))),
        desired.Stacks.SelectMany(stack => stack.Volumes.Select(volume => new ObservedVolume(volume.EngineName, stack.Name, volume.Key))),
        desired.AllServices.Select(service => service.Container.Image));

    public static ObservedState State(
        IEnumerable<ObservedContainer> containers,
        IEnumerable<ObservedNetwork>? networks = null,
        IEnumerable<ObservedVolume>? volumes = null,
        IEnumerable<string>? presentImages = null,
        IEnumerable<string>? foreignContainerNames = null) => new(
        [.. containers],
        [.. networks ?? []],
        [.. volumes ?? []],
        [.. foreignContainerNames ?? []],
        [],
        [],
        (presentImages ?? [TestSpecs.Image]).Distinct().ToImmutableDictionary(image => image, _ => ImageId));

    /// <summary>The record berth writes after applying these services (container ids as in <see cref="Running"/>).</summary>
    public static AppliedState Applied(string host, params ServiceSpec[] services) => AppliedState.Empty(host) with
    {
        Services = services.ToImmutableSortedDictionary(
            service => service.QualifiedName,
            service => new AppliedService(service.ConfigHash, service.FieldHashes, service.Container.Image, ImageId, "rev1",
                Enumerable.Range(1, service.Replicas).ToImmutableSortedDictionary(replica => replica, replica => Running(service, replica).Id),
                service),
            StringComparer.Ordinal),
    };
}
