using System.Collections.Immutable;
using System.Globalization;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Observe;

/// <summary>
/// What berth sets at create from the Compose spec and `docker update` can change in place (engine API
/// 1.41 <c>POST /containers/{id}/update</c>): the limits and the restart policy. Values as the engine's
/// HostConfig carries them; 0 means "none" (no limit, the engine's default).
/// </summary>
/// <remarks>
/// Neither the config hash nor the list sees these change: a `docker update` keeps the labels. Only an
/// inspect shows them (<see cref="ObservedContainer.Resources"/>, filled by a drift check).
/// </remarks>
public sealed record ContainerResources(
    long NanoCpus,
    long Memory,
    long MemorySwap,
    long MemoryReservation,
    long CpuShares,
    long PidsLimit,
    string RestartPolicy,
    long RestartRetries)
{
    /// <summary>What a container of this spec was created with, as the engine reports it back.</summary>
    public static ContainerResources Of(ContainerSpec spec)
    {
        var memory = spec.Limits.MemoryBytes ?? 0;
        var restart = spec.Restart.Split(':', 2);
        return new ContainerResources(
            spec.Limits.Cpus is { } cpus ? (long)(cpus * 1_000_000_000) : 0,
            memory,
            // Only a memswap_limit the spec sets is compared (0: the engine's business). Without one the engine
            // derives it (twice the memory limit), and on a kernel without swap accounting it reports -1
            // whatever it was given: comparing a derived value made a repair that could never stick.
            spec.MemorySwapBytes ?? 0,
            spec.MemoryReservationBytes ?? 0,
            spec.CpuShares ?? 0,
            Unlimited(spec.Limits.Pids),
            restart[0] is "always" or "on-failure" or "unless-stopped" ? restart[0] : "no",
            restart.Length == 2 && long.TryParse(restart[1], NumberStyles.None, CultureInfo.InvariantCulture, out var retries) ? retries : 0);
    }

    /// <summary>
    /// What an in-place repair sends: <see cref="Of"/>, with the swap limit the engine derived at create
    /// (twice the memory limit) when the spec sets none, so that setting a memory limit back above one
    /// lowered by hand cannot be refused for a swap limit below it. Compared or not, that value is the create's.
    /// </summary>
    public static ContainerResources ForUpdate(ContainerSpec spec)
    {
        var resources = Of(spec);
        return spec.MemorySwapBytes is null && resources.Memory > 0 ? resources with { MemorySwap = resources.Memory * 2 } : resources;
    }

    /// <summary>The engine reports "no pids limit" as null, 0 or -1, depending on its version and how it was set.</summary>
    public static long Unlimited(long? pidsLimit) => pidsLimit is null or <= 0 ? 0 : pidsLimit.Value;

    /// <summary>
    /// How <paramref name="observed"/> differs from <paramref name="desired"/>, field by field (Compose's
    /// names, in a fixed order); empty when it matches.
    /// </summary>
    public static ImmutableArray<ResourceDrift> Compare(ContainerResources desired, ContainerResources observed)
    {
        var drift = ImmutableArray.CreateBuilder<ResourceDrift>();
        // The update endpoint reads 0 as "leave as it is": a limit set by hand where the spec sets none
        // cannot be taken off in place (InPlace false).
        void Check(string field, long want, long have)
        {
            if (want != have)
            {
                drift.Add(new ResourceDrift(field, InPlace: want != 0));
            }
        }

        Check("cpus", desired.NanoCpus, observed.NanoCpus);
        Check("mem_limit", desired.Memory, observed.Memory);
        if (desired.MemorySwap != 0)
        {
            Check("memswap_limit", desired.MemorySwap, observed.MemorySwap);
        }

        Check("mem_reservation", desired.MemoryReservation, observed.MemoryReservation);
        Check("cpu_shares", desired.CpuShares, observed.CpuShares);
        Check("pids_limit", desired.PidsLimit, observed.PidsLimit);
        // The engine can set a restart policy in place, but the .NET client berth talks to it with has no
        // field for it in its update call: a new container carries the spec's.
        if (desired.RestartPolicy != observed.RestartPolicy || (desired.RestartPolicy == "on-failure" && desired.RestartRetries != observed.RestartRetries))
        {
            drift.Add(new ResourceDrift("restart", InPlace: false));
        }

        return drift.ToImmutable();
    }
}

/// <summary>One field of <see cref="ContainerResources"/> that differs from the spec.</summary>
/// <param name="InPlace">The engine's update endpoint can set the spec's value back; false: only a new container has it.</param>
public sealed record ResourceDrift(string Field, bool InPlace);
