using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Which services of a stack are one-shot jobs (a dependant waits for them with `condition:
/// service_completed_successfully`), and what a job cannot be: a restart policy that restarts a
/// container that exited 0 (`always`, `unless-stopped`) never lets it complete, and a front forwards to
/// replicas that keep running. Both are errors where they are written.
/// </summary>
internal static class OneShotJobs
{
    public static HashSet<string> Check(ComposeFileDraft draft, NodeReader reader)
    {
        var jobs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in draft.Services.Values.OrderBy(service => service.Name, StringComparer.Ordinal))
        {
            foreach (var (target, dependency) in service.DependsOn)
            {
                if (dependency.Value.Condition == DependencyCondition.ServiceCompletedSuccessfully && draft.Services.ContainsKey(target))
                {
                    jobs.Add(target);
                }
            }
        }

        foreach (var name in jobs.Order(StringComparer.Ordinal))
        {
            var job = draft.Services[name];
            var dependant = draft.Services.Values.Where(service => service.DependsOn.TryGetValue(name, out var dependency) && dependency.Value.Condition == DependencyCondition.ServiceCompletedSuccessfully)
                .Select(service => service.Name).Order(StringComparer.Ordinal).First();
            // deploy.restart_policy wins over restart (StackBuilder), so it is the one judged when set.
            var restart = job.DeployRestart ?? job.Restart;
            if (restart is { } policy && (policy.Value == "always" || policy.Value == "unless-stopped"))
            {
                reader.Error(policy.At,
                    $"service '{name}' is a one-shot job ('{dependant}' depends on it with condition service_completed_successfully), " +
                    $"and restart policy {policy.Value} restarts it after it exits, so it would never complete; use no or on-failure[:N]");
            }

            if (job.Front is { Value: true } front)
            {
                reader.Error(front.At, $"service '{name}' is a one-shot job ('{dependant}' depends on it with condition service_completed_successfully): x-berth.front forwards to replicas that keep running, a job's container exits");
            }
        }

        return jobs;
    }
}
