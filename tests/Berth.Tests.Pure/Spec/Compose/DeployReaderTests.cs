using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

public sealed class DeployReaderTests
{
    [Fact]
    public void HealthCheck_StringTest_RunsInTheShellWithDockerDefaults()
    {
        var health = LoadService("image: busybox\nhealthcheck:\n  test: wget -q -O- http://127.0.0.1/ || exit 1").Container.HealthCheck!;

        Assert.Equal(["CMD-SHELL", "wget -q -O- http://127.0.0.1/ || exit 1"], health.Test.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(30), health.Interval);
        Assert.Equal(TimeSpan.FromSeconds(30), health.Timeout);
        Assert.Equal(TimeSpan.Zero, health.StartPeriod);
        Assert.Equal(TimeSpan.FromSeconds(5), health.StartInterval);
        Assert.Equal(3, health.Retries);
    }

    [Fact]
    public void HealthCheck_ListTestAndTimings_AreRead()
    {
        var health = LoadService("""
            image: busybox
            healthcheck:
              test: [CMD, curl, -f, http://localhost/]
              interval: 1m30s
              timeout: 500ms
              start_period: 10s
              start_interval: 1s
              retries: 5
            """).Container.HealthCheck!;

        Assert.Equal(new HealthCheckSpec(["CMD", "curl", "-f", "http://localhost/"], TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 5) with { Test = health.Test }, health);
        Assert.False(health.Disabled);
    }

    [Fact]
    public void HealthCheck_DefaultsWrittenOut_DoNotChangeTheHash()
    {
        var implicitDefaults = LoadService("image: busybox\nhealthcheck: { test: [CMD, true] }");
        var explicitDefaults = LoadService("image: busybox\nhealthcheck: { test: [CMD, true], interval: 30s, timeout: 30s, start_period: 0s, start_interval: 5s, retries: 3 }");

        Assert.Equal(implicitDefaults.ConfigHash, explicitDefaults.ConfigHash);
    }

    [Fact]
    public void HealthCheck_DisableOrNone_IsDisabled()
    {
        Assert.True(LoadService("image: busybox\nhealthcheck: { disable: true }").Container.HealthCheck!.Disabled);
        Assert.True(LoadService("image: busybox\nhealthcheck: { test: [NONE] }").Container.HealthCheck!.Disabled);
    }

    [Fact]
    public void Deploy_ReplicasRolloutAndLimits_AreRead()
    {
        var service = LoadService("""
            image: busybox
            deploy:
              mode: replicated
              replicas: 3
              update_config: { parallelism: 2, delay: 10s, failure_action: pause, monitor: 1m, max_failure_ratio: 0.5, order: start-first }
              rollback_config: { parallelism: 0, failure_action: continue, order: stop-first }
              resources:
                limits: { cpus: '0.5', memory: 512M, pids: 100 }
            """);

        Assert.Equal(3, service.Replicas);
        Assert.Equal(new RolloutPolicy(2, TimeSpan.FromSeconds(10), FailureAction.Pause, TimeSpan.FromMinutes(1), 0.5, UpdateOrder.StartFirst), service.Update);
        Assert.Equal(new RolloutPolicy(0, TimeSpan.Zero, FailureAction.Continue, TimeSpan.FromSeconds(5), 0, UpdateOrder.StopFirst), service.Rollback);
        Assert.Equal(new ResourceLimits(0.5, 512L * 1024 * 1024, 100), service.Container.Limits);
    }

    [Theory]
    [InlineData("{ condition: none }", "no")]
    [InlineData("{ condition: any }", "always")]
    [InlineData("{ condition: on-failure }", "on-failure")]
    [InlineData("{ condition: on-failure, max_attempts: 0 }", "on-failure")]
    [InlineData("{ condition: on-failure, max_attempts: 5 }", "on-failure:5")]
    public void Deploy_RestartPolicy_BecomesTheEngineRestartPolicyAsComposeDoes(string policy, string expected)
    {
        Assert.Equal(expected, LoadService($"image: busybox\ndeploy: {{ restart_policy: {policy} }}").Container.Restart);
    }

    [Fact]
    public void Deploy_RestartPolicy_WinsOverRestartAndHashesLikeTheSameRestart()
    {
        var both = LoadService("image: busybox\nrestart: always\ndeploy: { restart_policy: { condition: on-failure, max_attempts: 2 } }");
        var plain = LoadService("image: busybox\nrestart: on-failure:2");

        Assert.Equal("on-failure:2", both.Container.Restart);
        Assert.Equal(plain.ConfigHash, both.ConfigHash);
    }

    [Fact]
    public void Deploy_MemoryReservation_IsTheContainersMemoryReservation()
    {
        var service = LoadService("image: busybox\ndeploy: { resources: { limits: { memory: 256M }, reservations: { memory: 64M } } }");

        Assert.Equal(64L * 1024 * 1024, service.Container.MemoryReservationBytes);
        Assert.Contains("mem_reservation", service.FieldHashes.Keys);
    }

    [Fact]
    public void Deploy_ReplicasAndRollout_DoNotChangeTheHash()
    {
        var plain = LoadService("image: busybox");
        var deployed = LoadService("image: busybox\ndeploy: { replicas: 4, update_config: { order: stop-first, parallelism: 2 }, rollback_config: { delay: 1s } }");

        Assert.Equal(plain.ConfigHash, deployed.ConfigHash);
    }

    [Theory]
    [InlineData("deploy: { replicas: -1 }", "4:25: services.web.deploy.replicas must be an integer from 0 to 1000, not '-1'")]
    [InlineData("deploy: { update_config: { order: sideways } }", "4:39: services.web.deploy.update_config.order must be one of stop-first, start-first, not 'sideways'")]
    [InlineData("deploy: { rollback_config: { failure_action: rollback } }", "4:50: services.web.deploy.rollback_config.failure_action must be one of pause, continue, not 'rollback'")]
    [InlineData("deploy: { update_config: { max_failure_ratio: 2 } }", "4:51: services.web.deploy.update_config.max_failure_ratio must be a number from 0 to 1, not '2'")]
    [InlineData("deploy: { resources: { limits: { memory: lots } } }", "4:46: services.web.deploy.resources.limits.memory: invalid size 'lots' (use bytes or a number with a unit: 512m, 1g, 64k)")]
    [InlineData("deploy: { resources: { reservations: { cpus: '0.5' } } }", "4:44: 'services.web.deploy.resources.reservations.cpus' is not supported by berth; a CPU reservation has no effect outside Swarm (docker compose ignores it); remove it, or use cpu_shares for a relative CPU weight")]
    [InlineData("deploy: { restart_policy: { max_attempts: 3 } }", "4:31: services.web.deploy.restart_policy needs 'condition' (none, on-failure or any): without it docker-compose 1.29 restarts always and docker compose v2 never, so berth asks you to say which")]
    [InlineData("deploy: { restart_policy: { condition: always } }", "4:44: services.web.deploy.restart_policy.condition must be one of none, on-failure, any, not 'always'")]
    [InlineData("deploy: { restart_policy: { condition: any, max_attempts: 3 } }", "4:63: services.web.deploy.restart_policy.max_attempts works only with condition: on-failure (the engine refuses a retry count for 'any')")]
    [InlineData("deploy: { restart_policy: { condition: on-failure, max_attempts: -1 } }", "4:70: services.web.deploy.restart_policy.max_attempts must be an integer >= 0, not '-1'")]
    [InlineData("deploy: { restart_policy: { condition: any, delay: 5s } }", "4:49: 'services.web.deploy.restart_policy.delay' is not supported by berth; the engine restarts with its own growing back-off outside Swarm (docker compose ignores delay); remove it")]
    [InlineData("deploy: { mode: global }", "4:21: services.web.deploy.mode: mode 'global' is not supported by berth (one host: only replicated)")]
    [InlineData("healthcheck: { interval: 5 }", "4:30: services.web.healthcheck.interval: invalid duration '5': it has no unit (only 0 may be written without one); write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m")]
    [InlineData("healthcheck: { test: [curl, x] }", "4:26: services.web.healthcheck.test: a list must start with CMD, CMD-SHELL or NONE (e.g. [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"])")]
    [InlineData("x-berth: { drian: 2s }", "4:16: unknown key 'drian' in services.web.x-berth, did you mean 'drain'?")]
    public void InvalidDeployAndHealth_AreErrorsAtTheValue(string line, string expected)
    {
        Assert.Equal([expected], Errors($"services:\n  web:\n    image: busybox\n    {line}\n"));
    }

    [Fact]
    public void JobTimeout_DefaultTenMinutes_SetOneIsRead_AndNotHashed()
    {
        var unset = LoadService("image: busybox");
        var set = LoadService("image: busybox\nx-berth: { job_timeout: 30m }");

        Assert.Equal(TimeSpan.FromMinutes(10), unset.JobTimeout);
        Assert.Equal(TimeSpan.FromMinutes(30), set.JobTimeout);
        // Changing the timeout must not run a job again.
        Assert.Equal(unset.ConfigHash, set.ConfigHash);
    }

    [Theory]
    [InlineData("x-berth: { job_timeout: 0s }", "4:29: services.web.x-berth.job_timeout must be at least 1ms")]
    [InlineData("x-berth: { job_timeout: 25h }", "4:29: services.web.x-berth.job_timeout: '25h' is longer than 24h, the longest duration berth accepts")]
    public void JobTimeout_ZeroOrLongerThanADay_IsAnErrorAtTheValue(string line, string expected)
    {
        Assert.Equal([expected], Errors($"services:\n  web:\n    image: busybox\n    {line}\n"));
    }

    [Theory]
    [InlineData("x-berth: { drain: 2000000h }", "4:23: services.web.x-berth.drain: '2000000h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("x-berth: { drain: 24h0m0.001s }", "4:23: services.web.x-berth.drain: '24h0m0.001s' is longer than 24h, the longest duration berth accepts")]
    [InlineData("stop_grace_period: 25h", "4:24: services.web.stop_grace_period: '25h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("healthcheck: { interval: 1000h }", "4:30: services.web.healthcheck.interval: '1000h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("healthcheck: { timeout: 1000h }", "4:29: services.web.healthcheck.timeout: '1000h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("healthcheck: { start_period: 1000h }", "4:34: services.web.healthcheck.start_period: '1000h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("healthcheck: { start_interval: 1000h }", "4:36: services.web.healthcheck.start_interval: '1000h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("deploy: { update_config: { delay: 9999999h } }", "4:39: services.web.deploy.update_config.delay: '9999999h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("deploy: { update_config: { monitor: 9999999h } }", "4:41: services.web.deploy.update_config.monitor: '9999999h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("deploy: { rollback_config: { delay: 9999999h } }", "4:41: services.web.deploy.rollback_config.delay: '9999999h' is longer than 24h, the longest duration berth accepts")]
    [InlineData("deploy: { rollback_config: { monitor: 9999999h } }", "4:43: services.web.deploy.rollback_config.monitor: '9999999h' is longer than 24h, the longest duration berth accepts")]
    public void Durations_LongerThanADay_AreErrorsAtTheValue(string line, string expected)
    {
        // Past 49.7 days Task.Delay throws: a drain that long would throw mid-rollout, after the old
        // container was already taken out of its network. Nothing sane waits a day anyway.
        Assert.Equal([expected], Errors($"services:\n  web:\n    image: busybox\n    {line}\n"));
    }

    [Fact]
    public void Durations_OfExactlyADay_AreAccepted()
    {
        var service = LoadService("""
            image: busybox
            stop_grace_period: 24h
            healthcheck: { test: [CMD, "true"], interval: 24h, timeout: 1440m, start_period: 86400s, start_interval: 24h }
            deploy: { update_config: { delay: 24h, monitor: 24h }, rollback_config: { delay: 24h, monitor: 24h } }
            x-berth: { drain: 24h }
            """);

        Assert.Equal(TimeSpan.FromDays(1), service.Drain);
        Assert.Equal(TimeSpan.FromDays(1), service.Container.StopGracePeriod);
        Assert.Equal(TimeSpan.FromDays(1), service.Container.HealthCheck!.StartPeriod);
        Assert.Equal(TimeSpan.FromDays(1), service.Update.Monitor);
        Assert.Equal(TimeSpan.FromDays(1), service.Rollback.Delay);
    }

    [Fact]
    public void Durations_InGoSyntax_AreAcceptedEverywhere()
    {
        // The one grammar (DurationSyntax) for every duration in a Compose file and in the daemon's config.
        var service = LoadService("""
            image: busybox
            stop_grace_period: 1.5m
            healthcheck: { test: [CMD, "true"], interval: 1m30s, timeout: 500ms, start_period: .5s, start_interval: 2000us }
            x-berth: { drain: 1h0.5m }
            """);

        Assert.Equal(TimeSpan.FromSeconds(90), service.Container.StopGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(90), service.Container.HealthCheck!.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), service.Container.HealthCheck.StartPeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(2), service.Container.HealthCheck.StartInterval);
        Assert.Equal(TimeSpan.FromMinutes(60.5), service.Drain);
    }

    [Fact]
    public void Duration_Invalid_IsReportedAtItsLineAndColumnWithTheReason()
    {
        Assert.Equal(
            ["5:24: services.web.stop_grace_period: invalid duration '1.5x': unknown unit 'x' (units: ns, us, ms, s, m, h); write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m"],
            Errors("services:\n  web:\n    image: busybox\n    init: true\n    stop_grace_period: 1.5x\n"));
    }

    [Fact]
    public void Duration_Negative_IsReportedAsNegative()
    {
        Assert.Equal(
            ["4:24: services.web.stop_grace_period: invalid duration '-1s': a duration cannot be negative; write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m"],
            Errors("services:\n  web:\n    image: busybox\n    stop_grace_period: -1s\n"));
    }
}
