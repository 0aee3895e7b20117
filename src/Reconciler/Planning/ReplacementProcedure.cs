using System.Collections.Immutable;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Planning;

/// <summary>One engine-level operation of a replica's replacement.</summary>
public enum ReplicaOperationKind
{
    /// <summary>Create the new container under its temporary name, labelled with the name it takes over.</summary>
    CreateReplacement,

    /// <summary>Take the old container out of the front's rules before it stops.</summary>
    FrontRetireCurrent,

    /// <summary>Stop the old container with its stop signal and grace period.</summary>
    StopCurrent,

    /// <summary>Start the new container.</summary>
    StartReplacement,

    /// <summary>Wait until the new container is healthy (or running without a health check) for the monitor period.</summary>
    Gate,

    /// <summary>Give the proven container the service's DNS names on its networks.</summary>
    GiveAliases,

    /// <summary>One rule swap: new connections go to the new container, the old one's drain on it.</summary>
    FrontSwap,

    /// <summary>Take the old container out of the service's DNS names (where it carries them).</summary>
    TakeCurrentOutOfDns,

    /// <summary>
    /// The old container no longer gets new connections: the rollout goes on with its next replica while
    /// the operations after this one (drain, stop, remove, rename) finish alongside; the pass waits for them.
    /// </summary>
    ContinueRollout,

    /// <summary>Let clients that resolved the old container just before finish.</summary>
    Drain,

    /// <summary>Remove the old container.</summary>
    RemoveCurrent,

    /// <summary>Put the new container into the front's rules.</summary>
    FrontAdmit,

    /// <summary>The new container takes the canonical name.</summary>
    RenameReplacement,

    // On a failed gate:

    /// <summary>Remove the unproven new container.</summary>
    RemoveReplacement,

    /// <summary>Put the last applied revision's files back into the live directory.</summary>
    RestorePreviousFiles,

    /// <summary>Start the old container again (stop-first).</summary>
    StartCurrent,

    /// <summary>Put the old container back into the front's rules.</summary>
    FrontReinstateCurrent,
}

/// <summary>One operation and how `berth plan` words it.</summary>
public sealed record ReplicaOperation(ReplicaOperationKind Kind, string Description);

/// <summary>
/// The engine calls of one replacement, in order, and what undoes them when the new container fails
/// its gate: decided here, from the step's order, front and volumes, so `berth plan` shows what
/// `apply` does and the executor only carries the list out.
/// </summary>
/// <remarks>
/// Invariants, written where the order protects them:
/// - start-first: the new container is healthy before it gets the service's names or the front's
///   traffic, and before the old one leaves; it never carries the names before its gate, because
///   Docker's DNS answers with every container that has them, healthy or not;
/// - stop-first: the old container is stopped, not removed, until the new one passed, so a failed gate
///   starts it again; the new one is created before the old one stops, so the gap is stop + start;
/// - start-first: once the old container is out of the names (and the front's rules), nothing depends on
///   its stop (up to its grace period): the next replica's replacement begins while it drains, stops and
///   is removed, and the new container takes its name only after it is gone (a name is unique). The
///   replica's own name is touched by nobody else in the meantime, and the pass waits for all of it
///   before it reports; a crash in between leaves a labelled leftover the next pass finishes (Planner).
/// </remarks>
public sealed record ReplacementProcedure(ImmutableArray<ReplicaOperation> Operations, ImmutableArray<ReplicaOperation> OnGateFailure)
{
    public static ReplacementProcedure For(ReplaceContainerStep step)
    {
        var (service, containerName, temporaryName) = (step.Service, step.ContainerName, step.TemporaryName);
        var operations = ImmutableArray.CreateBuilder<ReplicaOperation>();
        var undo = ImmutableArray.CreateBuilder<ReplicaOperation>();
        // The replacement mounts the old container's anonymous volumes again (as docker compose does).
        var inheritedVolumes = step.Current.AnonymousVolumePaths;
        var volumes = inheritedVolumes.IsDefaultOrEmpty ? string.Empty : $", mounting the anonymous volume(s) {string.Join(", ", inheritedVolumes)} of {containerName}";
        var gate = $"health gate {temporaryName}: {GateCondition(service, step.Monitor)}";
        var grace = DurationSyntax.Format(service.StopGrace());
        var behindFront = step.BehindFront;
        if (step.Order == UpdateOrder.StartFirst)
        {
            operations.Add(new(ReplicaOperationKind.CreateReplacement, $"create {temporaryName} without the service's names{volumes}"));
            operations.Add(new(ReplicaOperationKind.StartReplacement, $"start {temporaryName}"));
            operations.Add(new(ReplicaOperationKind.Gate, gate));
            if (!service.Front && service.Container.NetworkMode is null)
            {
                operations.Add(new(ReplicaOperationKind.GiveAliases, $"give {temporaryName} the service's names"));
            }

            if (behindFront)
            {
                operations.Add(new(ReplicaOperationKind.FrontSwap, $"front: forward new connections to {temporaryName} instead of {containerName}"));
            }

            // Whatever the new spec says: the old replica carries the names unless it was behind a front
            // already (x-berth.front turned on in this revision: it still does).
            operations.Add(new(ReplicaOperationKind.TakeCurrentOutOfDns, $"take {containerName} out of the service's names, where it has them"));
            operations.Add(new(ReplicaOperationKind.ContinueRollout, "the rollout goes on with the next replica; the rest runs alongside, and the pass waits for it"));

            operations.Add(new(ReplicaOperationKind.Drain, service.Drain > TimeSpan.Zero ? $"drain {DurationSyntax.Format(service.Drain)} (x-berth.drain)" : "drain (the daemon's drain period)"));
            operations.Add(new(ReplicaOperationKind.StopCurrent, $"stop {containerName} (grace {grace})"));
            operations.Add(new(ReplicaOperationKind.RemoveCurrent, $"remove {containerName}"));
            undo.Add(new(ReplicaOperationKind.RemoveReplacement, $"remove {temporaryName}; {containerName} kept serving"));
        }
        else
        {
            operations.Add(new(ReplicaOperationKind.CreateReplacement, $"create {temporaryName} with the service's names{volumes}"));
            if (behindFront)
            {
                operations.Add(new(ReplicaOperationKind.FrontRetireCurrent, $"front: stop forwarding to {containerName}"));
            }

            operations.Add(new(ReplicaOperationKind.StopCurrent, $"stop {containerName} (grace {grace}), kept until {temporaryName} passed"));
            operations.Add(new(ReplicaOperationKind.StartReplacement, $"start {temporaryName}"));
            operations.Add(new(ReplicaOperationKind.Gate, gate));
            operations.Add(new(ReplicaOperationKind.RemoveCurrent, $"remove {containerName}"));
            if (behindFront)
            {
                operations.Add(new(ReplicaOperationKind.FrontAdmit, $"front: forward to {temporaryName}"));
            }

            undo.Add(new(ReplicaOperationKind.RemoveReplacement, $"remove {temporaryName}"));
            if (step.RestoresFilesOnFailure)
            {
                undo.Add(new(ReplicaOperationKind.RestorePreviousFiles, "put the last applied revision's files back (when this pass changed them)"));
            }

            undo.Add(new(ReplicaOperationKind.StartCurrent, $"start {containerName} again"));
            if (behindFront)
            {
                undo.Add(new(ReplicaOperationKind.FrontReinstateCurrent, $"front: forward to {containerName} again"));
            }
        }

        operations.Add(new(ReplicaOperationKind.RenameReplacement, $"rename {temporaryName} to {containerName}"));
        return new ReplacementProcedure(operations.ToImmutable(), undo.ToImmutable());
    }

    /// <summary>What a new or restarted container of the service must show to pass its health gate.</summary>
    public static string GateCondition(ServiceSpec service, TimeSpan monitor) =>
        service.Container.HealthCheck is { Disabled: false }
            ? $"healthy for {DurationSyntax.Format(monitor)}"
            : $"running for {DurationSyntax.Format(monitor)} (healthy, if its image defines a health check)";

    /// <summary>The gate of a container with nothing to roll back to: with a health check, its first "healthy" (<see cref="Health.HealthGate.WaitAsync"/>).</summary>
    public static string FirstDeployGateCondition(ServiceSpec service, TimeSpan monitor) =>
        service.Container.HealthCheck is { Disabled: false }
            ? "healthy"
            : $"running for {DurationSyntax.Format(monitor)}, or healthy if its image defines a health check";
}
