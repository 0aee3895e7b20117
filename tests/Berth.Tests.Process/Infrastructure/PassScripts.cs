namespace Berth.Tests.Process.Infrastructure;

/// <summary>Pass scripts for the daemon's BERTH_TEST_PASS_SCRIPT hook (JSON, web casing, enums as strings).</summary>
internal static class PassScripts
{
    public static string Converged(string revision) =>
        $$"""{"outcome":"Converged","revision":"{{revision}}","summary":"nothing to do"}""";

    public static string Slow(string revision, int delayMilliseconds, bool ignoreCancellation = false) =>
        $$"""{"outcome":"Changed","revision":"{{revision}}","summary":"applied after a while","delayMilliseconds":{{delayMilliseconds}},"ignoreCancellation":{{(ignoreCancellation ? "true" : "false")}}}""";

    /// <summary>A rollout that failed its health gate and was rolled back: the host is stalled until a new commit.</summary>
    public const string FailedRollout = """
        {
          "outcome": "Stalled",
          "revision": "badc0ffee0ddf00d",
          "summary": "web/api: health gate failed, rolled back to the previous container",
          "reason": "RolloutFailed",
          "services": [
            {
              "stack": "web", "service": "api", "desiredReplicas": 2, "running": 2, "healthy": 2,
              "lastRollout": {
                "result": "RolledBack", "revision": "badc0ffee0ddf00d", "at": "2026-11-25T12:00:00Z",
                "evidence": "container web-api-new exited with code 3\nlast log lines:\n  FATAL: DATABASE_URL is not set"
              }
            },
            {
              "stack": "web", "service": "worker", "desiredReplicas": 1, "running": 1, "healthy": 1,
              "lastRollout": { "result": "Succeeded", "revision": "0123456789abcdef", "at": "2026-11-24T08:00:00Z", "evidence": null }
            }
          ]
        }
        """;
}
