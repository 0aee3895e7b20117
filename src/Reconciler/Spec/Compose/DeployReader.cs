using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>A service's `deploy:`, `healthcheck:` and berth's own `x-berth:` block.</summary>
internal static class DeployReader
{
    public static void ReadDeploy(ServiceTarget target, Node node, string path) => ApplyTo(target, node, path, DeployFields);

    public static void ReadHealthCheck(ServiceTarget target, Node node, string path)
    {
        target.Draft.HealthCheck ??= new HealthCheckDraft();
        ApplyTo(target, node, path, HealthCheckFields);
    }

    public static void ReadBerthExtension(ServiceTarget target, Node node, string path) => ApplyTo(target, node, path, BerthFields);

    private static void ApplyTo(ServiceTarget target, Node node, string path, FieldTable<ServiceTarget> table)
    {
        if (target.Reader.MappingOrNull(node, path) is { } mapping)
        {
            table.Apply(target.Reader, mapping, target, path);
        }
    }

    private static readonly FieldTable<ServiceTarget> LimitsFields = new FieldTable<ServiceTarget>()
        .Field("cpus", (target, node, path) => target.Draft.CpuLimit = target.Reader.Number(node, path, 0.01, 1024))
        .Field("memory", (target, node, path) => target.Draft.MemoryLimit = target.Reader.Size(node, path))
        .Field("pids", (target, node, path) => target.Draft.PidsLimit = target.Reader.Integer(node, path, -1))
        .Unsupported(["devices"]);

    private static void ApplyRollout(ServiceTarget target, Node node, string path, RolloutDraft rollout, bool isRollback)
    {
        if (target.Reader.MappingOrNull(node, path) is { } mapping)
        {
            RolloutFields.Apply(target.Reader, mapping, (target.Reader, rollout, isRollback), path);
        }
    }

    private static readonly FieldTable<(NodeReader Reader, RolloutDraft Rollout, bool IsRollback)> RolloutFields =
        new FieldTable<(NodeReader Reader, RolloutDraft Rollout, bool IsRollback)>()
            .Field("parallelism", (target, node, path) => target.Rollout.Parallelism = (int?)target.Reader.Integer(node, path, 0, 1000))
            .Field("delay", (target, node, path) => target.Rollout.Delay = target.Reader.Duration(node, path))
            .Field("monitor", (target, node, path) => target.Rollout.Monitor = target.Reader.Duration(node, path))
            .Field("max_failure_ratio", (target, node, path) => target.Rollout.MaxFailureRatio = target.Reader.Number(node, path, 0, 1))
            .Field("failure_action", (target, node, path) =>
            {
                // Swarm's rule: a failing rollback is never rolled back again.
                var allowed = target.IsRollback ? new[] { "pause", "continue" } : ["rollback", "pause", "continue"];
                target.Rollout.FailureAction = target.Reader.OneOf(node, path, allowed) switch
                {
                    "rollback" => FailureAction.Rollback,
                    "pause" => FailureAction.Pause,
                    "continue" => FailureAction.Continue,
                    _ => target.Rollout.FailureAction,
                };
            })
            .Field("order", (target, node, path) =>
            {
                var order = target.Reader.OneOf(node, path, "stop-first", "start-first");
                if (order is not null)
                {
                    target.Rollout.Order = new Located<UpdateOrder>(order == "start-first" ? UpdateOrder.StartFirst : UpdateOrder.StopFirst, node.Start);
                }
            });

    private static readonly FieldTable<ServiceTarget> HealthCheckFields = new FieldTable<ServiceTarget>()
        .Field("test", (target, node, path) =>
        {
            var health = target.Draft.HealthCheck!;
            if (node is ScalarNode { IsNull: false } command)
            {
                // A string runs in the container's shell, as Compose does.
                health.Test = ["CMD-SHELL", command.Value];
                return;
            }

            if (target.Reader.StringList(node, path) is not { } items)
            {
                return;
            }

            if (items.Count == 0 || items[0].Value is not ("CMD" or "CMD-SHELL" or "NONE"))
            {
                target.Reader.Error(node, $"{path}: a list must start with CMD, CMD-SHELL or NONE (e.g. [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"])");
                return;
            }

            if (items[0].Value == "CMD-SHELL" && items.Count != 2)
            {
                target.Reader.Error(node, $"{path}: CMD-SHELL takes exactly one command string");
                return;
            }

            health.Test = [.. items.Select(item => item.Value)];
        })
        .Field("interval", (target, node, path) => target.Draft.HealthCheck!.Interval = PositiveDuration(target, node, path))
        .Field("timeout", (target, node, path) => target.Draft.HealthCheck!.Timeout = PositiveDuration(target, node, path))
        .Field("start_period", (target, node, path) => target.Draft.HealthCheck!.StartPeriod = target.Reader.Duration(node, path))
        .Field("start_interval", (target, node, path) => target.Draft.HealthCheck!.StartInterval = PositiveDuration(target, node, path))
        .Field("retries", (target, node, path) => target.Draft.HealthCheck!.Retries = (int?)target.Reader.Integer(node, path, 1, 1000))
        .Field("disable", (target, node, path) => target.Draft.HealthCheck!.Disable = target.Reader.Bool(node, path));

    /// <summary>Docker rejects intervals under 1 ms (and 0 means "default", which would surprise).</summary>
    private static TimeSpan? PositiveDuration(ServiceTarget target, Node node, string path)
    {
        var duration = target.Reader.Duration(node, path);
        if (duration is { } value && value < TimeSpan.FromMilliseconds(1))
        {
            target.Reader.Error(node, $"{path} must be at least 1ms");
            return null;
        }

        return duration;
    }

    // berth's own service settings, where Compose has no field. Keep this set small and documented.
    private static readonly FieldTable<ServiceTarget> BerthFields = new FieldTable<ServiceTarget>()
        .Field("drain", (target, node, path) => target.Draft.Drain = target.Reader.Duration(node, path))
        // Zero would fail every job at once: at least a millisecond, as the health check's durations.
        .Field("job_timeout", (target, node, path) => target.Draft.JobTimeout = PositiveDuration(target, node, path))
        .Field("front", (target, node, path) =>
        {
            if (target.Reader.Bool(node, path) is { } front)
            {
                target.Draft.Front = new Located<bool>(front, node.Start);
            }
        });

    private static readonly FieldTable<ServiceTarget> ReservationsFields = new FieldTable<ServiceTarget>()
        .Field("memory", (target, node, path) =>
        {
            if (target.Reader.Size(node, path) is { } memory)
            {
                target.Draft.MemoryReservation = new Located<long>(memory, node.Start);
            }
        })
        // Compose drops a CPU reservation outside Swarm without a word; berth refuses rather than ignore it.
        .Unsupported("cpus", "a CPU reservation has no effect outside Swarm (docker compose ignores it); remove it, or use cpu_shares for a relative CPU weight")
        .Unsupported(["devices", "generic_resources"]);

    private static readonly FieldTable<ServiceTarget> ResourcesFields = new FieldTable<ServiceTarget>()
        .Field("limits", (target, node, path) => ApplyTo(target, node, path, LimitsFields))
        .Field("reservations", (target, node, path) => ApplyTo(target, node, path, ReservationsFields));

    /// <summary>
    /// `deploy.restart_policy` as docker compose applies it without Swarm: condition none / on-failure /
    /// any become the engine's no / on-failure / always, max_attempts its maximum retry count.
    /// </summary>
    private static void ReadRestartPolicy(ServiceTarget target, Node node, string path)
    {
        if (target.Reader.Mapping(node, path) is not { } mapping)
        {
            return;
        }

        var policy = new RestartPolicyDraft();
        RestartPolicyFields.Apply(target.Reader, mapping, (target.Reader, policy), path);
        if (policy.Condition is null)
        {
            if (mapping.Get("condition") is null)
            {
                // The implementations disagree: docker-compose 1.29 takes the spec's default (any), docker
                // compose v2 passes the empty condition on, which the engine reads as no restart.
                target.Reader.Error(node, $"{path} needs 'condition' (none, on-failure or any): without it docker-compose 1.29 restarts always and docker compose v2 never, so berth asks you to say which");
            }

            return;
        }

        if (policy.MaxAttempts is { } attempts && policy.Condition.Value != "on-failure")
        {
            target.Reader.Error(policy.MaxAttemptsAt!.Value, $"{path}.max_attempts works only with condition: on-failure (the engine refuses a retry count for '{policy.Condition.Value}')");
            return;
        }

        var restart = policy.Condition.Value switch
        {
            "none" => "no",
            "any" => "always",
            _ => policy.MaxAttempts is { } count and > 0 ? $"on-failure:{count}" : "on-failure",
        };
        target.Draft.DeployRestart = new Located<string>(restart, node.Start);
    }

    private sealed class RestartPolicyDraft
    {
        public Located<string>? Condition { get; set; }

        public long? MaxAttempts { get; set; }

        public Location? MaxAttemptsAt { get; set; }
    }

    private static readonly FieldTable<(NodeReader Reader, RestartPolicyDraft Policy)> RestartPolicyFields =
        new FieldTable<(NodeReader Reader, RestartPolicyDraft Policy)>()
            .Field("condition", (target, node, path) =>
            {
                if (target.Reader.OneOf(node, path, "none", "on-failure", "any") is { } condition)
                {
                    target.Policy.Condition = new Located<string>(condition, node.Start);
                }
            })
            .Field("max_attempts", (target, node, path) =>
            {
                target.Policy.MaxAttempts = target.Reader.Integer(node, path, 0);
                target.Policy.MaxAttemptsAt = node.Start;
            })
            .Unsupported("delay", "the engine restarts with its own growing back-off outside Swarm (docker compose ignores delay); remove it")
            .Unsupported("window", "the engine has no restart window outside Swarm (docker compose ignores it); remove it");

    private static readonly FieldTable<ServiceTarget> DeployFields = new FieldTable<ServiceTarget>()
        .Field("replicas", (target, node, path) =>
        {
            if (target.Reader.Integer(node, path, 0, 1000) is { } replicas)
            {
                target.Draft.Replicas = new Located<int>((int)replicas, node.Start);
            }
        })
        .Field("mode", (target, node, path) =>
        {
            if (target.Reader.String(node, path) is { } mode && mode != "replicated")
            {
                target.Reader.Error(node, $"{path}: mode '{mode}' is not supported by berth (one host: only replicated)");
            }
        })
        .Field("update_config", (target, node, path) => ApplyRollout(target, node, path, target.Draft.Update, isRollback: false))
        .Field("rollback_config", (target, node, path) => ApplyRollout(target, node, path, target.Draft.Rollback, isRollback: true))
        .Field("resources", (target, node, path) => ApplyTo(target, node, path, ResourcesFields))
        .Field("restart_policy", ReadRestartPolicy)
        .Field("placement", (target, node, path) => ApplyTo(target, node, path, Placement.Fields))
        .Unsupported(["endpoint_mode", "labels"]);
}
