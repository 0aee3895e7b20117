using System.Globalization;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Planning;

/// <summary>Deterministic names, so a pass that crashed half-way is healed by the next one.</summary>
public static class ContainerNames
{
    /// <summary>`container_name` if set, else `&lt;stack&gt;-&lt;service&gt;-&lt;n&gt;`.</summary>
    public static string For(ServiceSpec service, int replica) =>
        service.Container.ContainerName ?? $"{service.Stack}-{service.Name}-{replica.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The temporary name of a replacement while it proves itself.</summary>
    public static string ReplacementFor(string containerName, string configHash) => $"{containerName}-next-{configHash[..8]}";
}
